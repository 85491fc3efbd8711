using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// Every community route tried without a token, as a stranger, and as a plain member who lacks
/// the permission it needs: nobody gets through who should not, and each gets Discord's answer.
/// </summary>
public abstract class AuthorizationTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : AuthorizationTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : AuthorizationTests(DatabaseProvider.Sqlite);

    private sealed record Route(string Method, string Path, string? Body = null);

    private async Task<(List<Route> Privileged, List<Route> MembersOnly)> RoutesAsync()
    {
        var role = await CreateRoleAsync("some role", "0");
        var code = await InviteAsync();
        var message = (await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "alice's" })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();
        var other = (await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "another" })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString();
        var fire = Uri.EscapeDataString("🔥");
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/messages/{message}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        string g = GuildId, c = GeneralId, a = Alice.UserId, x = Carol.UserId, m = message!;
        List<Route> privileged =
        [
            new("PATCH", $"guilds/{g}", """{"name":"mine now"}"""),
            new("DELETE", $"guilds/{g}"),
            new("GET", $"guilds/{g}/audit-logs"),
            new("POST", $"guilds/{g}/channels", """{"name":"spam"}"""),
            new("PATCH", $"guilds/{g}/channels", $$"""[{"id":"{{c}}","position":3}]"""),
            new("PATCH", $"channels/{c}", """{"name":"spam"}"""),
            new("DELETE", $"channels/{c}"),
            new("PUT", $"channels/{c}/permissions/{g}", """{"type":0,"deny":"1024"}"""),
            new("DELETE", $"channels/{c}/permissions/{g}"),
            new("GET", $"channels/{c}/invites"),
            new("GET", $"guilds/{g}/invites"),
            new("POST", $"guilds/{g}/roles", "{}"),
            new("PATCH", $"guilds/{g}/roles", $$"""[{"id":"{{role}}","position":1}]"""),
            new("PATCH", $"guilds/{g}/roles/{role}", """{"name":"x"}"""),
            new("DELETE", $"guilds/{g}/roles/{role}"),
            new("PUT", $"guilds/{g}/members/{a}/roles/{role}"),
            new("DELETE", $"guilds/{g}/members/{a}/roles/{role}"),
            new("PATCH", $"guilds/{g}/members/{a}", """{"nick":"x"}"""),
            new("PATCH", $"guilds/{g}/members/{a}", """{"mute":true}"""),
            new("PATCH", $"guilds/{g}/members/{a}", """{"communication_disabled_until":"2099-01-01T00:00:00Z"}"""),
            new("DELETE", $"guilds/{g}/members/{a}"),
            new("GET", $"guilds/{g}/bans"),
            new("GET", $"guilds/{g}/bans/{x}"),
            new("PUT", $"guilds/{g}/bans/{x}", "{}"),
            new("DELETE", $"guilds/{g}/bans/{x}"),
            new("DELETE", $"invites/{code}"),
            new("DELETE", $"channels/{c}/messages/{m}"),
            new("POST", $"channels/{c}/messages/bulk-delete", $$"""{"messages":["{{m}}","{{other}}"]}"""),
            new("PUT", $"channels/{c}/pins/{m}"),
            new("DELETE", $"channels/{c}/pins/{m}"),
            new("PUT", $"channels/{c}/messages/pins/{m}"),
            new("DELETE", $"channels/{c}/messages/{m}/reactions"),
            new("DELETE", $"channels/{c}/messages/{m}/reactions/{fire}"),
            new("DELETE", $"channels/{c}/messages/{m}/reactions/{fire}/{a}"),
        ];
        List<Route> membersOnly =
        [
            new("GET", $"guilds/{g}"),
            new("GET", $"guilds/{g}/channels"),
            new("GET", $"channels/{c}"),
            new("GET", $"guilds/{g}/roles"),
            new("GET", $"guilds/{g}/members"),
            new("GET", $"guilds/{g}/members/{a}"),
            new("POST", $"channels/{c}/invites", "{}"),
            new("PATCH", $"guilds/{g}/members/@me", """{"nick":"me"}"""),
            new("GET", $"channels/{c}/messages"),
            new("GET", $"channels/{c}/messages/{m}"),
            new("POST", $"channels/{c}/messages", """{"content":"hi"}"""),
            new("POST", $"channels/{c}/typing"),
            new("GET", $"channels/{c}/pins"),
            new("GET", $"channels/{c}/messages/pins"),
            new("GET", $"channels/{c}/messages/{m}/reactions/{fire}"),
            new("PUT", $"channels/{c}/messages/{m}/reactions/{fire}/@me"),
            new("GET", $"guilds/{g}/messages/search?content=alice"),
        ];
        return (privileged, membersOnly);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, Route route) =>
        route.Body is null
            ? await client.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), route.Path), Cancel)
            : await client.SendRawAsync(new HttpMethod(route.Method), route.Path, route.Body);

    [Fact]
    public async Task Strangers_and_members_without_the_permission_are_refused_everywhere()
    {
        await SetUpCommunityAsync();
        var (privileged, membersOnly) = await RoutesAsync();

        foreach (var route in privileged.Concat(membersOnly))
        {
            var anonymous = await Send(Http, route);
            Assert.True(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"{route.Method} {route.Path} without a token: {(int)anonymous.StatusCode}");
            var stranger = await Send(CarolHttp, route);
            Assert.True(stranger.StatusCode == HttpStatusCode.Forbidden, $"{route.Method} {route.Path} as a stranger: {(int)stranger.StatusCode}");
            Assert.Equal(50001, (await stranger.JsonAsync()).GetProperty("code").GetInt32());
        }
        foreach (var route in privileged)
        {
            var member = await Send(BobHttp, route);
            Assert.True(member.StatusCode == HttpStatusCode.Forbidden, $"{route.Method} {route.Path} as a plain member: {(int)member.StatusCode}");
            Assert.Equal(50013, (await member.JsonAsync()).GetProperty("code").GetInt32());
        }
        foreach (var route in membersOnly)
        {
            var member = await Send(BobHttp, route);
            Assert.True(member.IsSuccessStatusCode, $"{route.Method} {route.Path} as a member: {(int)member.StatusCode}");
        }
        // Editing someone else's message has its own code.
        var edit = await Send(BobHttp, new Route("PATCH", $"channels/{GeneralId}/messages/{(await Get(AliceHttp, $"channels/{GeneralId}/messages?limit=100")).EnumerateArray().Last(msg => msg.GetProperty("author").GetProperty("id").GetString() == Alice.UserId).GetProperty("id").GetString()}", """{"content":"mine"}"""));
        Assert.Equal(50005, (await edit.ExpectAsync(HttpStatusCode.Forbidden)).GetProperty("code").GetInt32());
        // Nothing changed hands on the way.
        var guild = await Get(AliceHttp, $"guilds/{GuildId}");
        Assert.Equal("LAN Party", guild.GetProperty("name").GetString());
        Assert.Equal(Alice.UserId, guild.GetProperty("owner_id").GetString());
    }

    [Fact]
    public async Task The_right_permission_opens_exactly_its_routes()
    {
        await SetUpCommunityAsync();
        var channelManagers = await CreateRoleAsync("channel managers", (0x10 | 0x400).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await GiveRoleAsync(Bob.UserId, channelManagers);

        await (await BobHttp.PostJsonAsync($"guilds/{GuildId}/channels", new { name = "bobs-channel" })).ExpectAsync(HttpStatusCode.Created);
        await (await BobHttp.PatchJsonAsync($"channels/{GeneralId}", new { topic = "by bob" })).ExpectAsync(HttpStatusCode.OK);
        await Error(await BobHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { }), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}", new { name = "x1" }), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/bans", Cancel), HttpStatusCode.Forbidden, 50013);
    }
}
