using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// A small community: alice owns a server, bob joined it through an invite, carol is a stranger.
/// Each test gets its own server and database (see <see cref="ApiTest"/>).
/// </summary>
public abstract class CommunityTest(DatabaseProvider provider) : ApiTest(provider)
{
    protected Account Alice { get; private set; } = null!;
    protected Account Bob { get; private set; } = null!;
    protected Account Carol { get; private set; } = null!;
    protected HttpClient AliceHttp { get; private set; } = null!;
    protected HttpClient BobHttp { get; private set; } = null!;
    protected HttpClient CarolHttp { get; private set; } = null!;
    protected JsonElement Guild { get; private set; }
    protected string GuildId => Guild.GetProperty("id").GetString()!;
    protected string GeneralId { get; private set; } = null!;

    protected async Task SetUpCommunityAsync()
    {
        Alice = await RegisterAsync("alice");
        Bob = await RegisterAsync("bobby");
        Carol = await RegisterAsync("carol");
        AliceHttp = Alice.Client(Server);
        BobHttp = Bob.Client(Server);
        CarolHttp = Carol.Client(Server);
        Guild = await (await AliceHttp.PostJsonAsync("guilds", new { name = "LAN Party" })).ExpectAsync(HttpStatusCode.Created);
        GeneralId = Guild.GetProperty("system_channel_id").GetString()!;
        await JoinAsync(BobHttp);
    }

    protected async Task<string> InviteAsync(object? options = null)
    {
        var invite = await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/invites", options ?? new { })).ExpectAsync(HttpStatusCode.OK);
        return invite.GetProperty("code").GetString()!;
    }

    protected async Task JoinAsync(HttpClient who) =>
        await (await who.PostAsync($"invites/{await InviteAsync(new { unique = true })}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);

    protected async Task<string> CreateRoleAsync(string name, string permissions)
    {
        var role = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { name, permissions })).ExpectAsync(HttpStatusCode.OK);
        return role.GetProperty("id").GetString()!;
    }

    protected async Task GiveRoleAsync(string userId, string roleId) =>
        await (await AliceHttp.PutAsync($"guilds/{GuildId}/members/{userId}/roles/{roleId}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

    protected static async Task<JsonElement> Get(HttpClient client, string path, HttpStatusCode status = HttpStatusCode.OK) =>
        await (await client.GetAsync(path, Cancel)).ExpectAsync(status);

    protected static async Task<JsonElement> Error(HttpResponseMessage response, HttpStatusCode status, int code)
    {
        var body = await response.ExpectAsync(status);
        Assert.Equal(code, body.GetProperty("code").GetInt32());
        return body;
    }
}
