using System.Globalization;
using Together.Data;

namespace Together.Server.Tests;

public abstract class MemberTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : MemberTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : MemberTests(DatabaseProvider.Sqlite);

    private static string Bits(ulong value) => value.ToString(CultureInfo.InvariantCulture);

    [Fact]
    public async Task Members_are_listed_in_user_id_order_and_paged()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);

        var all = (await Get(BobHttp, $"guilds/{GuildId}/members?limit=10")).EnumerateArray().ToList();
        var first = (await Get(BobHttp, $"guilds/{GuildId}/members")).EnumerateArray().ToList();
        var rest = (await Get(BobHttp, $"guilds/{GuildId}/members?limit=10&after={first[0].GetProperty("user").GetProperty("id").GetString()}")).EnumerateArray().ToList();

        Assert.Equal([Alice.UserId, Bob.UserId, Carol.UserId], all.Select(m => m.GetProperty("user").GetProperty("id").GetString()));
        Assert.Single(first);
        Assert.Equal(2, rest.Count);
        var member = all[1];
        Assert.Equal("bobby", member.GetProperty("user").GetProperty("username").GetString());
        Assert.Equal(JsonValueKind.Array, member.GetProperty("roles").ValueKind);
        Assert.True(member.TryGetProperty("joined_at", out _));
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/members/123456789", Cancel), HttpStatusCode.NotFound, 10007);
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/members?limit=1001", Cancel), HttpStatusCode.BadRequest, 50035);
    }

    [Fact]
    public async Task Nicknames_need_change_nickname_for_oneself_and_manage_nicknames_for_others()
    {
        await SetUpCommunityAsync();

        var mine = await (await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/@me", new { nick = "Bobster" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Bobster", mine.GetProperty("nick").GetString());
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Alice.UserId}", new { nick = "owned" }), HttpStatusCode.Forbidden, 50013);
        var renamed = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { nick = "Robert" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Robert", renamed.GetProperty("nick").GetString());
        var cleared = await (await AliceHttp.SendRawAsync(HttpMethod.Patch, $"guilds/{GuildId}/members/{Bob.UserId}", """{"nick": null}""")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("nick").ValueKind);
    }

    [Fact]
    public async Task Roles_can_be_set_as_a_list()
    {
        await SetUpCommunityAsync();
        var a = await CreateRoleAsync("a", "0");
        var b = await CreateRoleAsync("b", "0");

        var member = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { roles = new[] { a, b } })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, member.GetProperty("roles").GetArrayLength());
        member = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { roles = new[] { b } })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal([b], member.GetProperty("roles").EnumerateArray().Select(r => r.GetString()));
        await Error(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { roles = new[] { "12345" } }), HttpStatusCode.BadRequest, 50035);
    }

    [Fact]
    public async Task Kicking_follows_the_hierarchy_and_never_touches_the_owner()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        var kickers = await CreateRoleAsync("kickers", Bits(0x2));
        await GiveRoleAsync(Bob.UserId, kickers);

        // Carol has no role, so bob outranks her; nobody outranks the owner; equals cannot kick each other.
        await Error(await BobHttp.DeleteAsync($"guilds/{GuildId}/members/{Alice.UserId}", Cancel), HttpStatusCode.Forbidden, 50013);
        await GiveRoleAsync(Carol.UserId, kickers);
        await Error(await BobHttp.DeleteAsync($"guilds/{GuildId}/members/{Carol.UserId}", Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/members/{Carol.UserId}/roles/{kickers}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await BobHttp.DeleteAsync($"guilds/{GuildId}/members/{Carol.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await Error(await CarolHttp.GetAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.Forbidden, 50001);
        var kick = (await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=20")).GetProperty("audit_log_entries")[0];
        Assert.Equal(Carol.UserId, kick.GetProperty("target_id").GetString());
        Assert.Equal(Bob.UserId, kick.GetProperty("user_id").GetString());
        // A kicked member may come back with an invite.
        await JoinAsync(CarolHttp);
    }

    [Fact]
    public async Task A_timed_out_member_loses_everything_but_looking_until_it_ends()
    {
        await SetUpCommunityAsync();
        var until = DateTimeOffset.UtcNow.AddHours(1);
        var fire = Uri.EscapeDataString("🔥");
        var message = (await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "react to me" })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/messages/{message}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Alice.UserId}", new { communication_disabled_until = until }), HttpStatusCode.Forbidden, 50013);
        var member = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { communication_disabled_until = until })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(until.ToUnixTimeSeconds(), member.GetProperty("communication_disabled_until").GetDateTimeOffset().ToUnixTimeSeconds());
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/invites", new { }), HttpStatusCode.Forbidden, 50013);
        await Get(BobHttp, $"channels/{GeneralId}");
        var permissions = ulong.Parse((await Get(BobHttp, "users/@me/guilds")).EnumerateArray().Single().GetProperty("permissions").GetString()!, CultureInfo.InvariantCulture);
        Assert.Equal(0x400UL | 0x10000UL, permissions);
        // No reaction at all, not even joining one that is already there.
        await Error(await BobHttp.PutAsync($"channels/{GeneralId}/messages/{message}/reactions/{fire}/@me", null, Cancel), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.PutAsync($"channels/{GeneralId}/messages/{message}/reactions/{Uri.EscapeDataString("👍")}/@me", null, Cancel), HttpStatusCode.Forbidden, 50013);
        Assert.Single((await Get(AliceHttp, $"channels/{GeneralId}/messages/{message}/reactions/{fire}")).EnumerateArray());

        await (await AliceHttp.SendRawAsync(HttpMethod.Patch, $"guilds/{GuildId}/members/{Bob.UserId}", """{"communication_disabled_until": null}""")).ExpectAsync(HttpStatusCode.OK);
        await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/invites", new { })).ExpectAsync(HttpStatusCode.OK);
        await (await BobHttp.PutAsync($"channels/{GeneralId}/messages/{message}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { communication_disabled_until = DateTimeOffset.UtcNow.AddDays(30) }), HttpStatusCode.BadRequest, 50035);
    }

    [Fact]
    public async Task Moderators_of_equal_rank_cannot_ban_or_time_out_each_other()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        var moderators = await CreateRoleAsync("moderators", Bits(0x4 | (1UL << 40)));
        await GiveRoleAsync(Bob.UserId, moderators);
        await GiveRoleAsync(Carol.UserId, moderators);
        var until = DateTimeOffset.UtcNow.AddHours(1);

        await Error(await BobHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Carol.UserId}", new { }, Cancel), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Carol.UserId}", new { communication_disabled_until = until }), HttpStatusCode.Forbidden, 50013);
        Assert.Empty((await Get(AliceHttp, $"guilds/{GuildId}/bans")).EnumerateArray());
        Assert.Equal(JsonValueKind.Null, (await Get(AliceHttp, $"guilds/{GuildId}/members/{Carol.UserId}")).GetProperty("communication_disabled_until").ValueKind);

        // One role higher and both work.
        var seniors = await CreateRoleAsync("seniors", "0");
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles", new object[] { new { id = seniors, position = 10 } })).ExpectAsync(HttpStatusCode.OK);
        await GiveRoleAsync(Bob.UserId, seniors);
        await (await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Carol.UserId}", new { communication_disabled_until = until })).ExpectAsync(HttpStatusCode.OK);
        await (await BobHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Carol.UserId}", new { }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
    }

    [Fact]
    public async Task Older_libraries_delete_message_days_is_understood()
    {
        await SetUpCommunityAsync();
        var spam = (await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "spam" })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();

        await Error(await AliceHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Bob.UserId}", new { delete_message_days = 8 }, Cancel), HttpStatusCode.BadRequest, 50035);
        await (await AliceHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Bob.UserId}", new { delete_message_days = 1 }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await Error(await AliceHttp.GetAsync($"channels/{GeneralId}/messages/{spam}", Cancel), HttpStatusCode.NotFound, 10008);
        var ban = Assert.Single((await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=22")).GetProperty("audit_log_entries").EnumerateArray());
        Assert.Equal("86400", ban.GetProperty("options").GetProperty("delete_message_seconds").GetString());
    }

    [Fact]
    public async Task Server_mute_and_deafen_need_their_permissions()
    {
        await SetUpCommunityAsync();

        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { mute = true }), HttpStatusCode.Forbidden, 50013);
        var member = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { mute = true, deaf = true })).ExpectAsync(HttpStatusCode.OK);

        Assert.True(member.GetProperty("mute").GetBoolean());
        Assert.True(member.GetProperty("deaf").GetBoolean());
    }

    [Fact]
    public async Task A_banned_user_is_removed_cannot_rejoin_and_can_return_once_unbanned()
    {
        await SetUpCommunityAsync();
        var code = await InviteAsync(new { max_uses = 0 });
        using var request = new HttpRequestMessage(HttpMethod.Put, $"guilds/{GuildId}/bans/{Bob.UserId}") { Content = JsonContent.Create(new { delete_message_seconds = 3600 }) };
        request.Headers.Add("X-Audit-Log-Reason", "griefing");

        var spam = (await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "buy now" })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/pins/{spam}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await Error(await BobHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Alice.UserId}", new { }, Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.SendAsync(request, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        // The clean-up window took bob's message and its pin, as a single delete would have.
        await Error(await AliceHttp.GetAsync($"channels/{GeneralId}/messages/{spam}", Cancel), HttpStatusCode.NotFound, 10008);
        Assert.Empty((await Get(AliceHttp, $"channels/{GeneralId}/pins")).EnumerateArray());
        Assert.Empty((await Get(AliceHttp, $"channels/{GeneralId}/messages/pins")).GetProperty("items").EnumerateArray());
        await using (var db = Server.Database.OpenContext())
        {
            var spamId = long.Parse(spam, CultureInfo.InvariantCulture);
            Assert.False(db.Pins.Any(p => p.MessageId == spamId));
            var row = db.Messages.Single(m => m.Id == spamId);
            Assert.False(row.Pinned);
            Assert.NotNull(row.DeletedAt);
            Assert.Equal("", row.Content);
        }

        await Error(await BobHttp.GetAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.Forbidden, 50001);
        await Error(await BobHttp.PostAsync($"invites/{code}", null, Cancel), HttpStatusCode.Forbidden, 40007);
        var ban = await Get(AliceHttp, $"guilds/{GuildId}/bans/{Bob.UserId}");
        Assert.Equal("griefing", ban.GetProperty("reason").GetString());
        Assert.Equal(Bob.UserId, ban.GetProperty("user").GetProperty("id").GetString());
        Assert.Single((await Get(AliceHttp, $"guilds/{GuildId}/bans")).EnumerateArray());
        // Strangers can be banned pre-emptively.
        await (await AliceHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Carol.UserId}", new { }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await CarolHttp.PostAsync($"invites/{code}", null, Cancel), HttpStatusCode.Forbidden, 40007);

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/bans/{Bob.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await AliceHttp.DeleteAsync($"guilds/{GuildId}/bans/{Bob.UserId}", Cancel), HttpStatusCode.NotFound, 10026);
        await (await BobHttp.PostAsync($"invites/{code}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);
        var actions = (await Get(AliceHttp, $"guilds/{GuildId}/audit-logs")).GetProperty("audit_log_entries").EnumerateArray().Select(e => e.GetProperty("action_type").GetInt32()).ToList();
        Assert.Contains(22, actions);
        Assert.Contains(23, actions);
        await Error(await AliceHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Bob.UserId}", new { delete_message_seconds = 999999 }, Cancel), HttpStatusCode.BadRequest, 50035);
    }
}
