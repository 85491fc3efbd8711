using Together.Data;

namespace Together.Server.Tests;

public abstract class UserTests(DatabaseProvider provider) : ApiTest(provider)
{
    public sealed class OnPostgres() : UserTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : UserTests(DatabaseProvider.Sqlite);

    [Fact]
    public async Task Another_users_profile_shows_public_fields_only()
    {
        var alice = await RegisterAsync("alice", email: "alice@example.com");
        var bob = await RegisterAsync("bobby");
        using var client = bob.Client(Server);

        var profile = await (await client.GetAsync($"users/{alice.UserId}", Cancel)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(alice.UserId, profile.GetProperty("id").GetString());
        Assert.Equal("alice", profile.GetProperty("username").GetString());
        Assert.False(profile.TryGetProperty("email", out _));
        Assert.Equal(JsonValueKind.Null, profile.GetProperty("avatar").ValueKind);
    }

    [Fact]
    public async Task Unknown_and_malformed_user_ids_get_discord_errors()
    {
        var alice = await RegisterAsync("alice");
        using var client = alice.Client(Server);

        var unknown = await (await client.GetAsync("users/123456789012345678", Cancel)).ExpectAsync(HttpStatusCode.NotFound);
        var malformed = await (await client.GetAsync("users/not-a-number", Cancel)).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(10013, unknown.GetProperty("code").GetInt32());
        Assert.Equal(50035, malformed.GetProperty("code").GetInt32());
        Assert.Contains("NUMBER_TYPE_COERCE", malformed.FieldErrorCodes("user_id"));
    }

    [Fact]
    public async Task Profiles_need_authentication() =>
        await (await Http.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);

    [Fact]
    public async Task Display_name_can_be_set_and_cleared_without_a_password()
    {
        var alice = await RegisterAsync("alice");
        using var client = alice.Client(Server);

        var set = await (await client.PatchJsonAsync("users/@me", new { global_name = "Alice 🎮" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Alice 🎮", set.GetProperty("global_name").GetString());

        var untouched = await (await client.SendRawAsync(HttpMethod.Patch, "users/@me", "{}")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Alice 🎮", untouched.GetProperty("global_name").GetString());

        var cleared = await (await client.SendRawAsync(HttpMethod.Patch, "users/@me", """{"global_name":null}""")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("global_name").ValueKind);
    }

    [Fact]
    public async Task Changing_the_username_needs_the_current_password()
    {
        var alice = await RegisterAsync("alice");
        using var client = alice.Client(Server);

        var refused = await (await client.PatchJsonAsync("users/@me", new { username = "alicia" })).ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Contains("PASSWORD_DOES_NOT_MATCH", refused.FieldErrorCodes("password"));

        var renamed = await (await client.PatchJsonAsync("users/@me", new { username = "alicia", password = alice.Password })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("alicia", renamed.GetProperty("username").GetString());
        await (await Http.PostJsonAsync("auth/login", new { login = "alicia", password = alice.Password })).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task A_taken_username_is_refused_on_rename()
    {
        var alice = await RegisterAsync("alice");
        await RegisterAsync("bobby");
        using var client = alice.Client(Server);

        var error = await (await client.PatchJsonAsync("users/@me", new { username = "BOBBY", password = alice.Password })).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Contains("USERNAME_ALREADY_TAKEN", error.FieldErrorCodes("username"));
    }

    [Fact]
    public async Task A_password_change_logs_out_other_sessions_but_keeps_this_one()
    {
        var alice = await RegisterAsync("alice");
        var laptop = await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = alice.Password })).ExpectAsync(HttpStatusCode.OK);
        using var phone = alice.Client(Server);
        using var laptopClient = Server.NewClient(laptop.GetProperty("token").GetString());

        await (await phone.PatchJsonAsync("users/@me", new { password = alice.Password, new_password = "a brand new secret" })).ExpectAsync(HttpStatusCode.OK);

        await (await phone.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.OK);
        await (await laptopClient.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);
        await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = laptop.GetProperty("refresh_token").GetString() })).ExpectAsync(HttpStatusCode.Unauthorized);
        await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = alice.Password })).ExpectAsync(HttpStatusCode.BadRequest);
        await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = "a brand new secret" })).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Invalid_profile_values_are_refused()
    {
        var alice = await RegisterAsync("alice");
        using var client = alice.Client(Server);

        var error = await (await client.SendRawAsync(HttpMethod.Patch, "users/@me",
            """{"global_name": 42, "new_password": "short", "password": "correct horse battery"}""")).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Contains("BASE_TYPE_STRING", error.FieldErrorCodes("global_name"));
        Assert.Contains("PASSWORD_TOO_SHORT", error.FieldErrorCodes("new_password"));
    }
}
