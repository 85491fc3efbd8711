using Together.Data;

namespace Together.Server.Tests;

public abstract class RoleTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : RoleTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : RoleTests(DatabaseProvider.Sqlite);

    private const string ManageRoles = "268435456";

    private async Task<List<JsonElement>> RolesAsync() => (await Get(AliceHttp, $"guilds/{GuildId}/roles")).EnumerateArray().ToList();

    [Fact]
    public async Task New_roles_start_at_the_bottom_with_everyones_permissions()
    {
        await SetUpCommunityAsync();
        var first = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { })).ExpectAsync(HttpStatusCode.OK);
        var second = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { name = "Raiders", color = 0xFF8800, hoist = true })).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("new role", first.GetProperty("name").GetString());
        Assert.Equal(Guild.GetProperty("roles")[0].GetProperty("permissions").GetString(), first.GetProperty("permissions").GetString());
        var roles = await RolesAsync();
        Assert.Equal(["@everyone", "Raiders", "new role"], roles.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal([0, 1, 2], roles.Select(r => r.GetProperty("position").GetInt32()));
        Assert.Equal(0xFF8800, second.GetProperty("color").GetInt32());
    }

    [Fact]
    public async Task Roles_are_edited_and_deleted_with_their_assignments()
    {
        await SetUpCommunityAsync();
        var role = await CreateRoleAsync("temp", "0");
        await GiveRoleAsync(Bob.UserId, role);
        Assert.Contains(role, (await Get(AliceHttp, $"guilds/{GuildId}/members/{Bob.UserId}")).GetProperty("roles").EnumerateArray().Select(r => r.GetString()));

        var edited = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{role}", new { name = "veteran", mentionable = true })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("veteran", edited.GetProperty("name").GetString());
        Assert.True(edited.GetProperty("mentionable").GetBoolean());

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/roles/{role}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Empty((await Get(AliceHttp, $"guilds/{GuildId}/members/{Bob.UserId}")).GetProperty("roles").EnumerateArray());
        await Error(await AliceHttp.DeleteAsync($"guilds/{GuildId}/roles/{role}", Cancel), HttpStatusCode.NotFound, 10011);
        await Error(await AliceHttp.DeleteAsync($"guilds/{GuildId}/roles/{GuildId}", Cancel), HttpStatusCode.BadRequest, 50028);
        var actions = (await Get(AliceHttp, $"guilds/{GuildId}/audit-logs")).GetProperty("audit_log_entries").EnumerateArray().Select(e => e.GetProperty("action_type").GetInt32()).ToList();
        Assert.Contains(30, actions);
        Assert.Contains(31, actions);
        Assert.Contains(32, actions);
        Assert.Contains(25, actions);
    }

    [Fact]
    public async Task Nobody_manages_a_role_at_or_above_their_own()
    {
        await SetUpCommunityAsync();
        var low = await CreateRoleAsync("low", "0");
        var manager = await CreateRoleAsync("manager", ManageRoles);
        var high = await CreateRoleAsync("high", "0");
        // Creation order puts the newest lowest: high(1) manager(2) low(3). Put them in order: low < manager < high.
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles", new object[]
        {
            new { id = low, position = 1 }, new { id = manager, position = 2 }, new { id = high, position = 3 },
        })).ExpectAsync(HttpStatusCode.OK);
        await GiveRoleAsync(Bob.UserId, manager);

        await (await BobHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{low}", new { name = "lower" })).ExpectAsync(HttpStatusCode.OK);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{high}", new { name = "mine" }), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{manager}", new { name = "mine" }), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.DeleteAsync($"guilds/{GuildId}/roles/{high}", Cancel), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.PutAsync($"guilds/{GuildId}/members/{Bob.UserId}/roles/{high}", null, Cancel), HttpStatusCode.Forbidden, 50013);
        await (await BobHttp.PutAsync($"guilds/{GuildId}/members/{Bob.UserId}/roles/{low}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/roles", new object[] { new { id = low, position = 3 } }), HttpStatusCode.Forbidden, 50013);
    }

    [Fact]
    public async Task Nobody_grants_a_permission_they_do_not_hold()
    {
        await SetUpCommunityAsync();
        var manager = await CreateRoleAsync("manager", ManageRoles);
        await GiveRoleAsync(Bob.UserId, manager);

        await Error(await BobHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { name = "admin", permissions = "8" }), HttpStatusCode.Forbidden, 50013);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{GuildId}", new { permissions = "4" }), HttpStatusCode.Forbidden, 50013);
        var created = await (await BobHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { name = "chatty", permissions = "3072" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("3072", created.GetProperty("permissions").GetString());
        await Error(await AliceHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { permissions = "not a number" }), HttpStatusCode.BadRequest, 50035);
    }

    [Fact]
    public async Task Reordering_renumbers_positions_uniquely()
    {
        await SetUpCommunityAsync();
        var a = await CreateRoleAsync("a", "0");
        var b = await CreateRoleAsync("b", "0");
        var c = await CreateRoleAsync("c", "0");

        var roles = (await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles", new object[] { new { id = a, position = 1 } })).ExpectAsync(HttpStatusCode.OK))
            .EnumerateArray().ToList();

        Assert.Equal(["@everyone", "a", "c", "b"], roles.Select(r => r.GetProperty("name").GetString()));
        Assert.Equal([0, 1, 2, 3], roles.Select(r => r.GetProperty("position").GetInt32()));
        Assert.NotNull(b + c);
    }
}
