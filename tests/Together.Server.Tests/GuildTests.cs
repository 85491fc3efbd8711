using Together.Data;

namespace Together.Server.Tests;

public abstract class GuildTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : GuildTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : GuildTests(DatabaseProvider.Sqlite);

    [Fact]
    public async Task A_new_server_looks_like_discords()
    {
        var alice = await RegisterAsync("alice");
        using var http = alice.Client(Server);

        var guild = await (await http.PostJsonAsync("guilds", new { name = "Squad" })).ExpectAsync(HttpStatusCode.Created);

        var id = guild.GetProperty("id").GetString();
        Assert.Equal(alice.UserId, guild.GetProperty("owner_id").GetString());
        var everyone = Assert.Single(guild.GetProperty("roles").EnumerateArray());
        Assert.Equal(id, everyone.GetProperty("id").GetString());
        Assert.Equal("@everyone", everyone.GetProperty("name").GetString());
        Assert.Equal(JsonValueKind.String, everyone.GetProperty("permissions").ValueKind);
        var channels = (await Get(http, $"guilds/{id}/channels")).EnumerateArray().ToList();
        Assert.Equal(["Text Channels", "Voice Channels", "general", "General"], channels.Select(c => c.GetProperty("name").GetString()));
        Assert.Equal([4, 4, 0, 2], channels.Select(c => c.GetProperty("type").GetInt32()));
        Assert.Equal(channels[0].GetProperty("id").GetString(), channels[2].GetProperty("parent_id").GetString());
        Assert.Equal(channels[1].GetProperty("id").GetString(), channels[3].GetProperty("parent_id").GetString());
        Assert.Equal(64000, channels[3].GetProperty("bitrate").GetInt32());
        Assert.Equal(channels[2].GetProperty("id").GetString(), guild.GetProperty("system_channel_id").GetString());
        var mine = Assert.Single((await Get(http, "users/@me/guilds")).EnumerateArray());
        Assert.True(mine.GetProperty("owner").GetBoolean());
        Assert.Equal(id, mine.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Guild_names_are_validated()
    {
        var alice = await RegisterAsync("alice");
        using var http = alice.Client(Server);

        var error = await Error(await http.PostJsonAsync("guilds", new { name = "x" }), HttpStatusCode.BadRequest, 50035);
        Assert.Contains("BASE_TYPE_BAD_LENGTH", error.FieldErrorCodes("name"));
        await Error(await http.PostJsonAsync("guilds", new { }), HttpStatusCode.BadRequest, 50035);
    }

    [Fact]
    public async Task Strangers_see_missing_access_and_unknown_guilds_are_404()
    {
        await SetUpCommunityAsync();

        await Error(await CarolHttp.GetAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.Forbidden, 50001);
        await Error(await CarolHttp.GetAsync("guilds/123456789", Cancel), HttpStatusCode.NotFound, 10004);
        var member = await Get(BobHttp, $"guilds/{GuildId}?with_counts=true");
        Assert.Equal(2, member.GetProperty("approximate_member_count").GetInt32());
    }

    [Fact]
    public async Task Changing_the_server_needs_manage_guild_and_is_audited_with_the_reason()
    {
        await SetUpCommunityAsync();

        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}", new { name = "Bob's now" }), HttpStatusCode.Forbidden, 50013);
        using var request = new HttpRequestMessage(HttpMethod.Patch, $"guilds/{GuildId}")
        {
            Content = JsonContent.Create(new { name = "LAN Party 2026", description = "Saturdays" }),
        };
        request.Headers.Add("X-Audit-Log-Reason", Uri.EscapeDataString("new season ✨"));
        var updated = await (await AliceHttp.SendAsync(request, Cancel)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("LAN Party 2026", updated.GetProperty("name").GetString());
        Assert.Equal("Saturdays", updated.GetProperty("description").GetString());
        var log = await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=1");
        var entry = Assert.Single(log.GetProperty("audit_log_entries").EnumerateArray());
        Assert.Equal("new season ✨", entry.GetProperty("reason").GetString());
        Assert.Equal(Alice.UserId, entry.GetProperty("user_id").GetString());
        Assert.Contains(entry.GetProperty("changes").EnumerateArray(), c => c.GetProperty("key").GetString() == "name"
            && c.GetProperty("old_value").GetString() == "LAN Party" && c.GetProperty("new_value").GetString() == "LAN Party 2026");
        Assert.Contains(log.GetProperty("users").EnumerateArray(), u => u.GetProperty("id").GetString() == Alice.UserId);
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/audit-logs", Cancel), HttpStatusCode.Forbidden, 50013);
    }

    [Fact]
    public async Task Only_a_text_channel_of_the_server_can_be_its_system_channel()
    {
        await SetUpCommunityAsync();
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2);

        var error = await Error(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}", new { system_channel_id = voice.GetProperty("id").GetString() }),
            HttpStatusCode.BadRequest, 50035);

        Assert.Contains("CHANNEL_INVALID", error.FieldErrorCodes("system_channel_id"));
        var cleared = await (await AliceHttp.SendRawAsync(HttpMethod.Patch, $"guilds/{GuildId}", """{"system_channel_id": null}""")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("system_channel_id").ValueKind);
    }

    [Fact]
    public async Task Ownership_can_be_handed_over_by_the_owner_only()
    {
        await SetUpCommunityAsync();

        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}", new { owner_id = Bob.UserId }), HttpStatusCode.Forbidden, 50013);
        await Error(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}", new { owner_id = Carol.UserId }), HttpStatusCode.BadRequest, 50035);
        var updated = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}", new { owner_id = Bob.UserId })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(Bob.UserId, updated.GetProperty("owner_id").GetString());
        // Bob now owns it: he may delete it, alice may not.
        await Error(await AliceHttp.DeleteAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.Forbidden, 50013);
    }

    [Fact]
    public async Task Deleting_a_server_takes_its_channels_roles_and_invites_with_it()
    {
        await SetUpCommunityAsync();
        var code = await InviteAsync();
        var role = await CreateRoleAsync("raiders", "0");
        await GiveRoleAsync(Bob.UserId, role);
        await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "gg" })).ExpectAsync(HttpStatusCode.OK);
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{role}", new { type = 0, allow = "64" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await Error(await BobHttp.DeleteAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        // Nothing of it is left in the database: roles (@everyone too), assignments, overwrites, messages, members.
        await using (var db = Server.Database.OpenContext())
        {
            var guildId = long.Parse(GuildId, System.Globalization.CultureInfo.InvariantCulture);
            var channelId = long.Parse(GeneralId, System.Globalization.CultureInfo.InvariantCulture);
            Assert.False(db.Roles.Any(r => r.GuildId == guildId));
            Assert.False(db.MemberRoles.Any(r => r.GuildId == guildId));
            Assert.False(db.PermissionOverwrites.Any(o => o.ChannelId == channelId));
            Assert.False(db.Messages.Any(m => m.ChannelId == channelId));
            Assert.False(db.GuildMembers.Any(m => m.GuildId == guildId));
            Assert.False(db.Invites.Any(i => i.GuildId == guildId));
        }

        await Error(await AliceHttp.GetAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.NotFound, 10004);
        await Error(await AliceHttp.GetAsync($"channels/{GeneralId}", Cancel), HttpStatusCode.NotFound, 10003);
        await Error(await Http.GetAsync($"invites/{code}", Cancel), HttpStatusCode.NotFound, 10006);
        Assert.Empty((await Get(BobHttp, "users/@me/guilds")).EnumerateArray());
    }

    [Fact]
    public async Task Members_can_leave_but_the_owner_cannot()
    {
        await SetUpCommunityAsync();

        await (await BobHttp.DeleteAsync($"users/@me/guilds/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Empty((await Get(BobHttp, "users/@me/guilds")).EnumerateArray());
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}", Cancel), HttpStatusCode.Forbidden, 50001);
        await Error(await BobHttp.DeleteAsync($"users/@me/guilds/{GuildId}", Cancel), HttpStatusCode.NotFound, 10004);
        await Error(await AliceHttp.DeleteAsync($"users/@me/guilds/{GuildId}", Cancel), HttpStatusCode.BadRequest, 50055);
    }

    [Fact]
    public async Task My_guilds_show_my_permissions_in_each_and_page_by_id()
    {
        await SetUpCommunityAsync();
        var second = await (await BobHttp.PostJsonAsync("guilds", new { name = "Bob's place" })).ExpectAsync(HttpStatusCode.Created);

        var guilds = (await Get(BobHttp, "users/@me/guilds?with_counts=true")).EnumerateArray().ToList();

        Assert.Equal(2, guilds.Count);
        var lan = guilds.Single(g => g.GetProperty("id").GetString() == GuildId);
        Assert.False(lan.GetProperty("owner").GetBoolean());
        var permissions = ulong.Parse(lan.GetProperty("permissions").GetString()!, System.Globalization.CultureInfo.InvariantCulture);
        Assert.NotEqual(0UL, permissions & 0x400);
        Assert.Equal(0UL, permissions & 0x8);
        Assert.Equal(2, lan.GetProperty("approximate_member_count").GetInt32());
        var page = (await Get(BobHttp, $"users/@me/guilds?after={GuildId}")).EnumerateArray().ToList();
        Assert.Equal(second.GetProperty("id").GetString(), Assert.Single(page).GetProperty("id").GetString());
        await Error(await BobHttp.GetAsync("users/@me/guilds?limit=0", Cancel), HttpStatusCode.BadRequest, 50035);
    }
}
