using Together.Data;

namespace Together.Server.Tests;

public abstract class InviteTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : InviteTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : InviteTests(DatabaseProvider.Sqlite);

    [Fact]
    public async Task An_invite_previews_the_server_without_an_account_and_lets_people_join()
    {
        await SetUpCommunityAsync();
        var created = await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/invites", new { max_age = 3600, max_uses = 5 })).ExpectAsync(HttpStatusCode.OK);
        var code = created.GetProperty("code").GetString()!;

        Assert.Equal(8, code.Length);
        Assert.Equal(5, created.GetProperty("max_uses").GetInt32());
        Assert.Equal(3600, created.GetProperty("max_age").GetInt32());
        Assert.Equal(0, created.GetProperty("uses").GetInt32());
        var preview = await Get(Http, $"invites/{code}?with_counts=true");
        Assert.Equal("LAN Party", preview.GetProperty("guild").GetProperty("name").GetString());
        Assert.Equal(2, preview.GetProperty("approximate_member_count").GetInt32());
        // Counts only when asked for, as on Discord.
        Assert.False((await Get(Http, $"invites/{code}")).TryGetProperty("approximate_member_count", out _));
        Assert.Equal("alice", preview.GetProperty("inviter").GetProperty("username").GetString());
        Assert.Equal("general", preview.GetProperty("channel").GetProperty("name").GetString());
        Assert.False(preview.TryGetProperty("uses", out _));

        await (await CarolHttp.PostAsync($"invites/{code}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);
        await Get(CarolHttp, $"guilds/{GuildId}");
        // Joining twice is harmless and does not count again.
        await (await CarolHttp.PostAsync($"invites/{code}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);
        var listed = Assert.Single((await Get(AliceHttp, $"guilds/{GuildId}/invites")).EnumerateArray(), i => i.GetProperty("code").GetString() == code);
        Assert.Equal(1, listed.GetProperty("uses").GetInt32());
    }

    [Fact]
    public async Task A_limited_invite_admits_exactly_its_number_of_people_even_in_a_rush()
    {
        await SetUpCommunityAsync();
        var code = await InviteAsync(new { max_uses = 2, unique = true });
        var people = new List<HttpClient>();
        for (var i = 0; i < 6; i++)
            people.Add((await RegisterAsync($"rusher{i}")).Client(Server));

        var results = await Task.WhenAll(people.Select(p => p.PostAsync($"invites/{code}", null, Cancel)));

        Assert.Equal(2, results.Count(r => r.StatusCode == HttpStatusCode.OK));
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.NotFound, r.StatusCode));
        Assert.Equal(4, (await Get(AliceHttp, $"guilds/{GuildId}/members?limit=100")).GetArrayLength());
        await Error(await Http.GetAsync($"invites/{code}", Cancel), HttpStatusCode.NotFound, 10006);
    }

    [Fact]
    public async Task Invites_are_reused_unless_unique_is_asked_for()
    {
        await SetUpCommunityAsync();

        var a = await InviteAsync();
        var b = await InviteAsync();
        var c = await InviteAsync(new { unique = true });

        Assert.Equal(a, b);
        Assert.NotEqual(a, c);
    }

    [Fact]
    public async Task Deleted_and_expired_invites_are_unknown()
    {
        await SetUpCommunityAsync();
        var code = await InviteAsync();

        await Error(await BobHttp.DeleteAsync($"invites/{code}", Cancel), HttpStatusCode.Forbidden, 50013);
        var deleted = await (await AliceHttp.DeleteAsync($"invites/{code}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(code, deleted.GetProperty("code").GetString());
        await Error(await Http.GetAsync($"invites/{code}", Cancel), HttpStatusCode.NotFound, 10006);
        await Error(await CarolHttp.PostAsync($"invites/{code}", null, Cancel), HttpStatusCode.NotFound, 10006);

        var expiring = await InviteAsync(new { unique = true });
        await using (var db = Server.Database.OpenContext())
        {
            var invite = db.Invites.Single(i => i.Code == expiring);
            invite.ExpiresAt = DateTimeOffset.UtcNow.AddSeconds(-1);
            await db.SaveChangesAsync(Cancel);
        }
        await Error(await CarolHttp.PostAsync($"invites/{expiring}", null, Cancel), HttpStatusCode.NotFound, 10006);
        await Error(await Http.GetAsync("invites/nope", Cancel), HttpStatusCode.NotFound, 10006);
    }

    [Fact]
    public async Task Manage_guild_deletes_any_invite_and_manage_channels_those_of_its_channel()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        await GiveRoleAsync(Bob.UserId, await CreateRoleAsync("server managers", "32"));
        // Bob cannot see #general at all, yet manages every invite of the server.
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Bob.UserId}", new { type = 1, deny = "1024" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var hidden = await InviteAsync(new { unique = true });
        await Error(await BobHttp.GetAsync($"channels/{GeneralId}/invites", Cancel), HttpStatusCode.Forbidden, 50001);
        var deleted = await (await BobHttp.DeleteAsync($"invites/{hidden}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(hidden, deleted.GetProperty("code").GetString());
        await Error(await Http.GetAsync($"invites/{hidden}", Cancel), HttpStatusCode.NotFound, 10006);

        // Carol, with MANAGE_CHANNELS in #general only, lists and deletes that channel's invites.
        var code = await InviteAsync(new { unique = true, max_uses = 7 });
        await Error(await CarolHttp.DeleteAsync($"invites/{code}", Cancel), HttpStatusCode.Forbidden, 50013);
        await Error(await CarolHttp.GetAsync($"channels/{GeneralId}/invites", Cancel), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Carol.UserId}", new { type = 1, allow = "16" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var listed = Assert.Single((await Get(CarolHttp, $"channels/{GeneralId}/invites")).EnumerateArray(), i => i.GetProperty("code").GetString() == code);
        Assert.Equal(7, listed.GetProperty("max_uses").GetInt32());
        Assert.Equal(0, listed.GetProperty("uses").GetInt32());
        Assert.Equal(Alice.UserId, listed.GetProperty("inviter").GetProperty("id").GetString());
        Assert.Equal(GeneralId, listed.GetProperty("channel").GetProperty("id").GetString());
        await (await CarolHttp.DeleteAsync($"invites/{code}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        Assert.DoesNotContain((await Get(CarolHttp, $"channels/{GeneralId}/invites")).EnumerateArray(), i => i.GetProperty("code").GetString() == code);

        // Neither seeing the channel nor managing the server: Missing Access, as for the channel itself.
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Carol.UserId}", new { type = 1, deny = "1024" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var third = await InviteAsync(new { unique = true });
        await Error(await CarolHttp.DeleteAsync($"invites/{third}", Cancel), HttpStatusCode.Forbidden, 50001);
        var actions = (await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=42")).GetProperty("audit_log_entries").EnumerateArray().ToList();
        Assert.Equal([Carol.UserId, Bob.UserId], actions.Select(e => e.GetProperty("user_id").GetString()));
    }

    [Fact]
    public async Task Invite_options_are_validated_and_categories_have_no_invites()
    {
        await SetUpCommunityAsync();
        var category = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 4);

        await Error(await AliceHttp.PostJsonAsync($"channels/{GeneralId}/invites", new { max_age = -1 }), HttpStatusCode.BadRequest, 50035);
        await Error(await AliceHttp.PostJsonAsync($"channels/{GeneralId}/invites", new { max_uses = 101 }), HttpStatusCode.BadRequest, 50035);
        await Error(await AliceHttp.PostJsonAsync($"channels/{category.GetProperty("id").GetString()}/invites", new { }), HttpStatusCode.BadRequest, 50024);
        await Error(await CarolHttp.PostJsonAsync($"channels/{GeneralId}/invites", new { }), HttpStatusCode.Forbidden, 50001);
    }
}
