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

    /// <summary>
    /// Privileged routes need a permission a plain member lacks; members-only routes are open to
    /// any member; author-only routes are refused to strangers and to members alike (with its own code).
    /// </summary>
    private async Task<(List<Route> Privileged, List<Route> MembersOnly, List<Route> AuthorOnly)> RoutesAsync()
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
            new("PATCH", $"guilds/{g}/members/{a}", """{"deaf":true}"""),
            new("PATCH", $"guilds/{g}/members/{a}", $$"""{"roles":["{{role}}"]}"""),
            new("PATCH", $"guilds/{g}/members/{a}", """{"channel_id":null}"""),
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
            new("DELETE", $"channels/{c}/messages/pins/{m}"),
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
            new("DELETE", $"channels/{c}/messages/{m}/reactions/{fire}/@me"),
            new("GET", $"guilds/{g}/messages/search?content=alice"),
        ];
        List<Route> authorOnly = [new("PATCH", $"channels/{c}/messages/{m}", """{"content":"mine"}""")];
        return (privileged, membersOnly, authorOnly);
    }

    private static async Task<HttpResponseMessage> Send(HttpClient client, Route route) =>
        route.Body is null
            ? await client.SendAsync(new HttpRequestMessage(new HttpMethod(route.Method), route.Path), Cancel)
            : await client.SendRawAsync(new HttpMethod(route.Method), route.Path, route.Body);

    [Fact]
    public async Task Strangers_and_members_without_the_permission_are_refused_everywhere()
    {
        await SetUpCommunityAsync();
        var (privileged, membersOnly, authorOnly) = await RoutesAsync();

        foreach (var route in privileged.Concat(membersOnly).Concat(authorOnly))
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
        foreach (var route in authorOnly)
            await Error(await Send(BobHttp, route), HttpStatusCode.Forbidden, 50005);
        // The caller's own guild list shows a stranger nothing of the guild, and leaving it is Unknown Guild.
        await (await Http.GetAsync("users/@me/guilds", Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);
        Assert.Empty((await Get(CarolHttp, "users/@me/guilds")).EnumerateArray());
        await (await Http.DeleteAsync($"users/@me/guilds/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);
        await Error(await CarolHttp.DeleteAsync($"users/@me/guilds/{GuildId}", Cancel), HttpStatusCode.NotFound, 10004);
        // Nothing changed hands on the way.
        var guild = await Get(AliceHttp, $"guilds/{GuildId}");
        Assert.Equal("LAN Party", guild.GetProperty("name").GetString());
        Assert.Equal(Alice.UserId, guild.GetProperty("owner_id").GetString());
    }

    private static string Bits(ulong value) => value.ToString(System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Everything but ADMINISTRATOR, which would open every route.</summary>
    private static readonly ulong Everything = (ulong)Together.Server.Features.Permissions.PermissionSets.All & ~0x8UL;

    [Fact]
    public async Task A_member_holding_everything_but_the_needed_permission_is_refused_each_member_route()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        // Bob outranks carol through "almost everything"; "some role" sits below it.
        var almost = await CreateRoleAsync("almost everything", "0");
        var role = await CreateRoleAsync("some role", "0");
        await GiveRoleAsync(Bob.UserId, almost);
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(ch => ch.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString();
        var until = DateTimeOffset.UtcNow.AddHours(1).ToString("O", System.Globalization.CultureInfo.InvariantCulture);
        string g = GuildId, x = Carol.UserId;
        // In an order where each allowed call leaves carol as the next one needs her (kicked last but the bans).
        (ulong Needed, Route Route, HttpStatusCode Allowed)[] routes =
        [
            (0x8000000, new("PATCH", $"guilds/{g}/members/{x}", """{"nick":"renamed"}"""), HttpStatusCode.OK),
            (0x10000000, new("PATCH", $"guilds/{g}/members/{x}", $$"""{"roles":["{{role}}"]}"""), HttpStatusCode.OK),
            (0x400000, new("PATCH", $"guilds/{g}/members/{x}", """{"mute":true}"""), HttpStatusCode.OK),
            (0x800000, new("PATCH", $"guilds/{g}/members/{x}", """{"deaf":true}"""), HttpStatusCode.OK),
            (1UL << 40, new("PATCH", $"guilds/{g}/members/{x}", $$"""{"communication_disabled_until":"{{until}}"}"""), HttpStatusCode.OK),
            // Allowed, but carol is not in a voice channel to be moved: 40032.
            (0x1000000, new("PATCH", $"guilds/{g}/members/{x}", $$"""{"channel_id":"{{voice}}"}"""), HttpStatusCode.BadRequest),
            (0x10000000, new("DELETE", $"guilds/{g}/members/{x}/roles/{role}"), HttpStatusCode.NoContent),
            (0x10000000, new("PUT", $"guilds/{g}/members/{x}/roles/{role}"), HttpStatusCode.NoContent),
            (0x2, new("DELETE", $"guilds/{g}/members/{x}"), HttpStatusCode.NoContent),
            (0x4, new("GET", $"guilds/{g}/bans"), HttpStatusCode.OK),
            (0x4, new("PUT", $"guilds/{g}/bans/{x}", "{}"), HttpStatusCode.NoContent),
            (0x4, new("GET", $"guilds/{g}/bans/{x}"), HttpStatusCode.OK),
            (0x4, new("DELETE", $"guilds/{g}/bans/{x}"), HttpStatusCode.NoContent),
        ];

        foreach (var (needed, route, allowed) in routes)
        {
            await (await AliceHttp.PatchJsonAsync($"guilds/{g}/roles/{almost}", new { permissions = Bits(Everything & ~needed) })).ExpectAsync(HttpStatusCode.OK);
            var refused = await Send(BobHttp, route);
            Assert.True(refused.StatusCode == HttpStatusCode.Forbidden, $"{route.Method} {route.Path} {route.Body} without {needed:x}: {(int)refused.StatusCode}");
            Assert.Equal(50013, (await refused.JsonAsync()).GetProperty("code").GetInt32());
            await (await AliceHttp.PatchJsonAsync($"guilds/{g}/roles/{almost}", new { permissions = Bits(Everything) })).ExpectAsync(HttpStatusCode.OK);
            var let = await Send(BobHttp, route);
            Assert.True(let.StatusCode == allowed, $"{route.Method} {route.Path} {route.Body} with {needed:x}: {(int)let.StatusCode}");
        }
    }

    [Fact]
    public async Task A_member_who_cannot_see_a_channel_gets_missing_access_on_all_its_routes_whatever_else_they_hold()
    {
        await SetUpCommunityAsync();
        var (privileged, membersOnly, authorOnly) = await RoutesAsync();
        // Discord answers 403 Missing Access for a channel the caller cannot view, never 404: the
        // channel exists, the caller is just not let in. Bob holds everything else.
        await GiveRoleAsync(Bob.UserId, await CreateRoleAsync("almost everything", Bits(Everything)));
        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Bob.UserId}", new { type = 1, deny = "1024" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var channelRoutes = privileged.Concat(membersOnly).Concat(authorOnly)
            .Where(r => r.Path.StartsWith($"channels/{GeneralId}", StringComparison.Ordinal) || r.Path == $"guilds/{GuildId}/channels" && r.Method == "PATCH")
            .ToList();
        Assert.True(channelRoutes.Count > 20);

        foreach (var route in channelRoutes)
        {
            var hidden = await Send(BobHttp, route);
            Assert.True(hidden.StatusCode == HttpStatusCode.Forbidden, $"{route.Method} {route.Path} on a hidden channel: {(int)hidden.StatusCode}");
            Assert.Equal(50001, (await hidden.JsonAsync()).GetProperty("code").GetInt32());
        }
        Assert.DoesNotContain((await Get(BobHttp, $"guilds/{GuildId}/channels")).EnumerateArray(), ch => ch.GetProperty("id").GetString() == GeneralId);
        Assert.Equal(0, (await Get(BobHttp, $"guilds/{GuildId}/messages/search?content=alice")).GetProperty("total_results").GetInt32());
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
