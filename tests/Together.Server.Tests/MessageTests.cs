using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Together.Server.Features.Permissions;
using Together.Data;

namespace Together.Server.Tests;

public abstract class MessageTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : MessageTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : MessageTests(DatabaseProvider.Sqlite);

    private async Task<JsonElement> SendAsync(HttpClient who, object body, string? channel = null) =>
        await (await who.PostJsonAsync($"channels/{channel ?? GeneralId}/messages", body)).ExpectAsync(HttpStatusCode.OK);

    private async Task<string> SayAsync(HttpClient who, string content) =>
        (await SendAsync(who, new { content })).GetProperty("id").GetString()!;

    private static List<string> Ids(JsonElement page) => page.EnumerateArray().Select(m => m.GetProperty("id").GetString()!).ToList();

    [Fact]
    public async Task A_permission_change_made_elsewhere_applies_to_the_next_request()
    {
        // Another server instance (or an admin's SQL) changes the rows behind the permission
        // checks: this instance's cached copy must not outlive the change, not even once.
        await SetUpCommunityAsync();
        await SayAsync(BobHttp, "warm the cache");
        var general = long.Parse(GeneralId, CultureInfo.InvariantCulture);
        var guild = long.Parse(GuildId, CultureInfo.InvariantCulture);

        await using (var db = Server.Database.OpenContext())
        {
            db.PermissionOverwrites.Add(new Together.Data.Entities.PermissionOverwrite
            {
                ChannelId = general, TargetId = guild, Type = Together.Data.Entities.OverwriteType.Role, Deny = (long)Permissions.SendMessages,
            });
            await db.SaveChangesAsync(Cancel);
        }
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "still here?" }), HttpStatusCode.Forbidden, 50013);
        await Get(BobHttp, $"channels/{GeneralId}/messages");

        await using (var db = Server.Database.OpenContext())
        {
            await db.PermissionOverwrites.Where(o => o.ChannelId == general).ExecuteDeleteAsync(Cancel);
            await db.Roles.Where(r => r.Id == guild).ExecuteUpdateAsync(r => r.SetProperty(x => x.Permissions, x => x.Permissions & ~(long)Permissions.ViewChannel), Cancel);
        }
        await Error(await BobHttp.GetAsync($"channels/{GeneralId}/messages", Cancel), HttpStatusCode.Forbidden, 50001);

        await using (var db = Server.Database.OpenContext())
            await db.Roles.Where(r => r.Id == guild).ExecuteUpdateAsync(r => r.SetProperty(x => x.Permissions, x => x.Permissions | (long)Permissions.ViewChannel), Cancel);
        await SayAsync(BobHttp, "back");

        await using (var db = Server.Database.OpenContext())
            await db.Channels.Where(c => c.Id == general).ExecuteUpdateAsync(c => c.SetProperty(x => x.RateLimitPerUser, 3600), Cancel);
        await SayAsync(BobHttp, "first under slowmode");
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "slow" }), HttpStatusCode.TooManyRequests, 20016);
    }

    [Fact]
    public async Task A_sent_message_comes_back_as_discord_shapes_it()
    {
        await SetUpCommunityAsync();

        var sent = await SendAsync(BobHttp, new { content = "gg wp", nonce = "client-123" });

        Assert.Equal("gg wp", sent.GetProperty("content").GetString());
        Assert.Equal("client-123", sent.GetProperty("nonce").GetString());
        Assert.Equal(Bob.UserId, sent.GetProperty("author").GetProperty("id").GetString());
        Assert.Equal(GeneralId, sent.GetProperty("channel_id").GetString());
        Assert.Equal(0, sent.GetProperty("type").GetInt32());
        Assert.Equal(JsonValueKind.Null, sent.GetProperty("edited_timestamp").ValueKind);
        Assert.InRange(sent.GetProperty("timestamp").GetDateTimeOffset(), DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddMinutes(1));
        var fetched = await Get(AliceHttp, $"channels/{GeneralId}/messages/{sent.GetProperty("id").GetString()}");
        Assert.Equal("gg wp", fetched.GetProperty("content").GetString());
        Assert.False(fetched.TryGetProperty("nonce", out _));
        Assert.Equal(sent.GetProperty("id").GetString(), (await Get(AliceHttp, $"channels/{GeneralId}")).GetProperty("last_message_id").GetString());
    }

    [Fact]
    public async Task History_pages_newest_first_with_before_after_and_around()
    {
        await SetUpCommunityAsync();
        var ids = new List<string>();
        for (var i = 0; i < 7; i++)
            ids.Add(await SayAsync(i % 2 == 0 ? AliceHttp : BobHttp, $"message {i}"));

        Assert.Equal(Enumerable.Reverse(ids), Ids(await Get(BobHttp, $"channels/{GeneralId}/messages")));
        Assert.Equal([ids[6], ids[5]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?limit=2")));
        Assert.Equal([ids[2], ids[1]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?before={ids[3]}&limit=2")));
        Assert.Equal([ids[5], ids[4]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?after={ids[3]}&limit=2")));
        Assert.Equal([ids[4], ids[3], ids[2]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?around={ids[3]}&limit=3")));
        Assert.Equal([ids[4], ids[3], ids[2], ids[1]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?around={ids[3]}&limit=4")));
        // Near the newest end the page fills up with older messages; near the oldest, it stops short.
        Assert.Equal([ids[6], ids[5], ids[4], ids[3]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?around={ids[6]}&limit=4")));
        Assert.Equal([ids[2], ids[1], ids[0]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages?around={ids[0]}&limit=6")));
        await Error(await BobHttp.GetAsync($"channels/{GeneralId}/messages?limit=101", Cancel), HttpStatusCode.BadRequest, 50035);
        await Error(await BobHttp.GetAsync($"channels/{GeneralId}/messages?before={ids[1]}&after={ids[0]}", Cancel), HttpStatusCode.BadRequest, 50035);
        await Error(await CarolHttp.GetAsync($"channels/{GeneralId}/messages", Cancel), HttpStatusCode.Forbidden, 50001);
    }

    [Fact]
    public async Task Bad_messages_are_refused_with_discords_codes()
    {
        await SetUpCommunityAsync();
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString();

        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "   " }), HttpStatusCode.BadRequest, 50006);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { }), HttpStatusCode.BadRequest, 50006);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = new string('a', 2001) }), HttpStatusCode.BadRequest, 50035);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "hi", nonce = new string('n', 26) }), HttpStatusCode.BadRequest, 50035);
        await Error(await BobHttp.PostJsonAsync($"channels/{voice}/messages", new { content = "hi" }), HttpStatusCode.BadRequest, 50008);
        await Error(await CarolHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "hi" }), HttpStatusCode.Forbidden, 50001);
        await Error(await BobHttp.PostJsonAsync("channels/123/messages", new { content = "hi" }), HttpStatusCode.NotFound, 10003);
        await SendAsync(BobHttp, new { content = new string('a', 2000) });
    }

    [Fact]
    public async Task Member_user_and_role_rows_changed_elsewhere_apply_to_the_next_send()
    {
        // On PostgreSQL a member's sends after the first decide their access from memory and let
        // the INSERT check the rows behind it; each change below is made straight in the database
        // (another instance, an admin's SQL) and must count for the very next send.
        await SetUpCommunityAsync();
        var guild = long.Parse(GuildId, CultureInfo.InvariantCulture);
        var bob = long.Parse(Bob.UserId, CultureInfo.InvariantCulture);
        var speakers = await CreateRoleAsync("speakers", ((long)Permissions.SendMessages).ToString(CultureInfo.InvariantCulture));
        await GiveRoleAsync(Bob.UserId, speakers);
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{guild}", new { permissions = ((long)Permissions.ViewChannel).ToString(CultureInfo.InvariantCulture) })).ExpectAsync(HttpStatusCode.OK);
        await SayAsync(BobHttp, "one");
        await SayAsync(BobHttp, "two");

        await using (var db = Server.Database.OpenContext())
            await db.MemberRoles.Where(r => r.UserId == bob).ExecuteDeleteAsync(Cancel);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "no role" }), HttpStatusCode.Forbidden, 50013);
        await using (var db = Server.Database.OpenContext())
        {
            db.MemberRoles.Add(new Together.Data.Entities.MemberRole { GuildId = guild, UserId = bob, RoleId = long.Parse(speakers, CultureInfo.InvariantCulture) });
            await db.SaveChangesAsync(Cancel);
        }
        await SayAsync(BobHttp, "role back");
        await SayAsync(BobHttp, "and again");

        await using (var db = Server.Database.OpenContext())
            await db.Users.Where(u => u.Id == bob).ExecuteUpdateAsync(u => u.SetProperty(x => x.Username, "robert"), Cancel);
        var renamed = await SendAsync(BobHttp, new { content = "new name" });
        Assert.Equal("robert", renamed.GetProperty("author").GetProperty("username").GetString());

        await using (var db = Server.Database.OpenContext())
            await db.GuildMembers.Where(m => m.UserId == bob && m.GuildId == guild)
                .ExecuteUpdateAsync(m => m.SetProperty(x => x.CommunicationDisabledUntil, DateTimeOffset.UtcNow.AddMinutes(10)), Cancel);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "timed out" }), HttpStatusCode.Forbidden, 50013);
        await using (var db = Server.Database.OpenContext())
            await db.GuildMembers.Where(m => m.UserId == bob && m.GuildId == guild)
                .ExecuteUpdateAsync(m => m.SetProperty(x => x.CommunicationDisabledUntil, (DateTimeOffset?)null), Cancel);
        await SayAsync(BobHttp, "free");
        await SayAsync(BobHttp, "free again");

        await using (var db = Server.Database.OpenContext())
            await db.GuildMembers.Where(m => m.UserId == bob && m.GuildId == guild).ExecuteDeleteAsync(Cancel);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "gone" }), HttpStatusCode.Forbidden, 50001);

        var contents = (await Get(AliceHttp, $"channels/{GeneralId}/messages")).EnumerateArray().Select(m => m.GetProperty("content").GetString()).ToList();
        Assert.Equal(["free again", "free", "new name", "and again", "role back", "two", "one"], contents);
    }

    [Fact]
    public async Task Sending_needs_send_messages_and_a_timeout_takes_it_away()
    {
        await SetUpCommunityAsync();
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Bob.UserId}", new { type = 1, deny = "2048" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "let me talk" }), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/permissions/{Bob.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await SayAsync(BobHttp, "thanks");

        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { communication_disabled_until = DateTimeOffset.UtcNow.AddMinutes(10) })).ExpectAsync(HttpStatusCode.OK);

        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "rude" }), HttpStatusCode.Forbidden, 50013);
        Assert.Single((await Get(BobHttp, $"channels/{GeneralId}/messages")).EnumerateArray());
    }

    [Fact]
    public async Task Mentions_are_parsed_and_everyone_needs_the_permission()
    {
        await SetUpCommunityAsync();
        var squad = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { name = "squad", mentionable = true })).ExpectAsync(HttpStatusCode.OK);
        var hidden = await CreateRoleAsync("hidden", "0");
        var squadId = squad.GetProperty("id").GetString();

        var fromBob = await SendAsync(BobHttp, new { content = $"<@{Alice.UserId}> <@!{Carol.UserId}> <@999> <@&{squadId}> <@&{hidden}> @everyone" });

        Assert.Equal([Alice.UserId, Carol.UserId], fromBob.GetProperty("mentions").EnumerateArray().Select(u => u.GetProperty("id").GetString()));
        Assert.Equal([squadId], fromBob.GetProperty("mention_roles").EnumerateArray().Select(r => r.GetString()));
        Assert.False(fromBob.GetProperty("mention_everyone").GetBoolean());
        var fromAlice = await SendAsync(AliceHttp, new { content = $"@here <@&{hidden}>" });
        Assert.True(fromAlice.GetProperty("mention_everyone").GetBoolean());
        Assert.Equal([hidden], fromAlice.GetProperty("mention_roles").EnumerateArray().Select(r => r.GetString()));
    }

    [Fact]
    public async Task Replies_reference_and_mention_the_original()
    {
        await SetUpCommunityAsync();
        var original = await SayAsync(AliceHttp, "who's up for a game?");

        var reply = await SendAsync(BobHttp, new { content = "me!", message_reference = new { message_id = original } });

        Assert.Equal(19, reply.GetProperty("type").GetInt32());
        Assert.Equal(original, reply.GetProperty("message_reference").GetProperty("message_id").GetString());
        Assert.Equal("who's up for a game?", reply.GetProperty("referenced_message").GetProperty("content").GetString());
        Assert.Contains(reply.GetProperty("mentions").EnumerateArray(), u => u.GetProperty("id").GetString() == Alice.UserId);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "?", message_reference = new { message_id = "12345" } }),
            HttpStatusCode.BadRequest, 50035);
        var lenient = await SendAsync(BobHttp, new { content = "ok", message_reference = new { message_id = "12345", fail_if_not_exists = false } });
        Assert.Equal(0, lenient.GetProperty("type").GetInt32());
    }

    [Fact]
    public async Task Only_the_author_edits_and_the_edit_is_stamped()
    {
        await SetUpCommunityAsync();
        var id = await SayAsync(BobHttp, "helo");

        await Error(await AliceHttp.PatchJsonAsync($"channels/{GeneralId}/messages/{id}", new { content = "owned" }), HttpStatusCode.Forbidden, 50005);
        var edited = await (await BobHttp.PatchJsonAsync($"channels/{GeneralId}/messages/{id}", new { content = $"hello <@{Alice.UserId}>" })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal($"hello <@{Alice.UserId}>", edited.GetProperty("content").GetString());
        Assert.NotEqual(JsonValueKind.Null, edited.GetProperty("edited_timestamp").ValueKind);
        Assert.Single(edited.GetProperty("mentions").EnumerateArray());
        await Error(await BobHttp.PatchJsonAsync($"channels/{GeneralId}/messages/{id}", new { content = "" }), HttpStatusCode.BadRequest, 50006);
    }

    [Fact]
    public async Task Deleting_is_for_the_author_or_moderators_and_deleted_messages_are_gone()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        var bobs = await SayAsync(BobHttp, "mine");
        var carols = await SayAsync(CarolHttp, "spam");

        await Error(await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{carols}", Cancel), HttpStatusCode.Forbidden, 50013);
        await (await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{bobs}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/messages/{carols}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        Assert.Empty((await Get(BobHttp, $"channels/{GeneralId}/messages")).EnumerateArray());
        await Error(await BobHttp.GetAsync($"channels/{GeneralId}/messages/{bobs}", Cancel), HttpStatusCode.NotFound, 10008);
        await Error(await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{bobs}", Cancel), HttpStatusCode.NotFound, 10008);
        var entry = Assert.Single((await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=72")).GetProperty("audit_log_entries").EnumerateArray());
        Assert.Equal(Carol.UserId, entry.GetProperty("target_id").GetString());
        await using var db = Server.Database.OpenContext();
        var row = db.Messages.Single(m => m.Id == long.Parse(carols, CultureInfo.InvariantCulture));
        Assert.NotNull(row.DeletedAt);
        Assert.Equal("", row.Content);
    }

    [Fact]
    public async Task Moderators_bulk_delete_recent_messages_only()
    {
        await SetUpCommunityAsync();
        var ids = new List<string>();
        for (var i = 0; i < 3; i++)
            ids.Add(await SayAsync(BobHttp, $"spam {i}"));

        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages/bulk-delete", new { messages = ids }), HttpStatusCode.Forbidden, 50013);
        await Error(await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages/bulk-delete", new { messages = ids.Take(1) }), HttpStatusCode.BadRequest, 50035);
        var old = Together.Data.Snowflakes.Snowflake.FromTimestamp(DateTimeOffset.UtcNow.AddDays(-15)).Value;
        await Error(await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages/bulk-delete", new { messages = new[] { ids[0], old.ToString(CultureInfo.InvariantCulture) } }),
            HttpStatusCode.BadRequest, 50034);
        await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages/bulk-delete", new { messages = ids.Take(2) })).ExpectAsync(HttpStatusCode.NoContent);

        Assert.Equal([ids[2]], Ids(await Get(BobHttp, $"channels/{GeneralId}/messages")));
    }

    [Fact]
    public async Task Slowmode_holds_members_back_but_not_moderators()
    {
        await SetUpCommunityAsync();
        await (await AliceHttp.PatchJsonAsync($"channels/{GeneralId}", new { rate_limit_per_user = 30 })).ExpectAsync(HttpStatusCode.OK);

        await SayAsync(BobHttp, "first");
        var limited = await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "second" });
        var body = await Error(limited, HttpStatusCode.TooManyRequests, 20016);

        Assert.InRange(body.GetProperty("retry_after").GetDouble(), 1, 30);
        Assert.True(limited.Headers.Contains("Retry-After"));
        await SayAsync(AliceHttp, "mods are not slowed");
        await SayAsync(AliceHttp, "at all");
    }

    [Fact]
    public async Task A_retried_send_with_enforce_nonce_posts_once()
    {
        await SetUpCommunityAsync();

        var first = await SendAsync(BobHttp, new { content = "only once", nonce = "retry-1", enforce_nonce = true });
        var retry = await SendAsync(BobHttp, new { content = "only once", nonce = "retry-1", enforce_nonce = true });
        var other = await SendAsync(BobHttp, new { content = "only once", nonce = 42, enforce_nonce = true });

        Assert.Equal(first.GetProperty("id").GetString(), retry.GetProperty("id").GetString());
        Assert.NotEqual(first.GetProperty("id").GetString(), other.GetProperty("id").GetString());
        Assert.Equal("42", other.GetProperty("nonce").GetString());
        Assert.Equal(2, (await Get(BobHttp, $"channels/{GeneralId}/messages")).GetArrayLength());
    }

    [Fact]
    public async Task Reactions_count_per_emoji_and_know_which_are_mine()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        var id = await SayAsync(AliceHttp, "clutch!");
        var fire = Uri.EscapeDataString("🔥");
        var flag = Uri.EscapeDataString("🏳️‍🌈");

        await (await BobHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await BobHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await CarolHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await CarolHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{flag}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        var seenByBob = await Get(BobHttp, $"channels/{GeneralId}/messages/{id}");
        var reactions = seenByBob.GetProperty("reactions").EnumerateArray().ToList();
        Assert.Equal(["🔥", "🏳️‍🌈"], reactions.Select(r => r.GetProperty("emoji").GetProperty("name").GetString()));
        Assert.Equal([2, 1], reactions.Select(r => r.GetProperty("count").GetInt32()));
        Assert.Equal([true, false], reactions.Select(r => r.GetProperty("me").GetBoolean()));
        var users = await Get(AliceHttp, $"channels/{GeneralId}/messages/{id}/reactions/{fire}");
        Assert.Equal([Bob.UserId, Carol.UserId], users.EnumerateArray().Select(u => u.GetProperty("id").GetString()));

        await Error(await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/{Carol.UserId}", Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/{Carol.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/@me", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var left = (await Get(BobHttp, $"channels/{GeneralId}/messages/{id}")).GetProperty("reactions").EnumerateArray().ToList();
        Assert.Equal("🏳️‍🌈", Assert.Single(left).GetProperty("emoji").GetProperty("name").GetString());
        // One emoji's reactions, everyone's, go at once for a moderator; the others stay.
        await (await BobHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}", Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}/reactions/{fire}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Empty((await Get(AliceHttp, $"channels/{GeneralId}/messages/{id}/reactions/{fire}")).EnumerateArray());
        left = (await Get(BobHttp, $"channels/{GeneralId}/messages/{id}")).GetProperty("reactions").EnumerateArray().ToList();
        Assert.Equal("🏳️‍🌈", Assert.Single(left).GetProperty("emoji").GetProperty("name").GetString());
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}/reactions", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.False((await Get(BobHttp, $"channels/{GeneralId}/messages/{id}")).TryGetProperty("reactions", out _));
    }

    [Theory]
    [InlineData("abc")]
    [InlineData("a")]
    [InlineData("custom:123")]
    [InlineData("%F0%9F%94%A5%F0%9F%94%A5")]
    public async Task Things_that_are_not_one_emoji_are_unknown_emoji(string emoji)
    {
        await SetUpCommunityAsync();
        var id = await SayAsync(AliceHttp, "react to this");

        await Error(await BobHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{emoji}/@me", null, Cancel), HttpStatusCode.BadRequest, 10014);
    }

    [Fact]
    public async Task Without_add_reactions_one_can_only_join_existing_reactions()
    {
        await SetUpCommunityAsync();
        var id = await SayAsync(AliceHttp, "vote");
        var yes = Uri.EscapeDataString("👍");
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{yes}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Bob.UserId}", new { type = 1, deny = "64" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await (await BobHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{yes}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await BobHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{Uri.EscapeDataString("👎")}/@me", null, Cancel), HttpStatusCode.Forbidden, 50013);
    }

    [Fact]
    public async Task Pins_need_manage_messages_and_list_newest_pin_first()
    {
        await SetUpCommunityAsync();
        var first = await SayAsync(BobHttp, "rules: be nice");
        var second = await SayAsync(BobHttp, "schedule: saturdays");

        await Error(await BobHttp.PutAsync($"channels/{GeneralId}/pins/{first}", null, Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/pins/{first}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/messages/pins/{second}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        Assert.Equal([second, first], Ids(await Get(BobHttp, $"channels/{GeneralId}/pins")));
        var page = await Get(BobHttp, $"channels/{GeneralId}/messages/pins");
        Assert.False(page.GetProperty("has_more").GetBoolean());
        Assert.Equal([second, first], page.GetProperty("items").EnumerateArray().Select(i => i.GetProperty("message").GetProperty("id").GetString()));
        Assert.True((await Get(BobHttp, $"channels/{GeneralId}/messages/{first}")).GetProperty("pinned").GetBoolean());
        Assert.NotEqual(JsonValueKind.Null, (await Get(BobHttp, $"channels/{GeneralId}")).GetProperty("last_pin_timestamp").ValueKind);

        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/pins/{first}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal([second], Ids(await Get(BobHttp, $"channels/{GeneralId}/pins")));
        var actions = (await Get(AliceHttp, $"guilds/{GuildId}/audit-logs")).GetProperty("audit_log_entries").EnumerateArray().Select(e => e.GetProperty("action_type").GetInt32()).ToList();
        Assert.Contains(74, actions);
        Assert.Contains(75, actions);
    }

    [Fact]
    public async Task A_channel_holds_at_most_fifty_pins()
    {
        await SetUpCommunityAsync();
        for (var i = 0; i < 50; i++)
            await (await AliceHttp.PutAsync($"channels/{GeneralId}/pins/{await SayAsync(AliceHttp, $"pin {i}")}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await Error(await AliceHttp.PutAsync($"channels/{GeneralId}/pins/{await SayAsync(AliceHttp, "one too many")}", null, Cancel), HttpStatusCode.BadRequest, 30003);
    }
}
