using Together.Data;

namespace Together.Server.Tests;

public abstract class AuthTests(DatabaseProvider provider) : ApiTest(provider)
{
    public sealed class OnPostgres() : AuthTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : AuthTests(DatabaseProvider.Sqlite);

    [Fact]
    public async Task Register_returns_tokens_that_open_the_users_own_profile()
    {
        var response = await Http.PostJsonAsync("auth/register", new { username = "alice", password = "correct horse battery", email = "Alice@Example.com" });
        var body = await response.ExpectAsync(HttpStatusCode.Created);

        Assert.Equal(900, body.GetProperty("expires_in").GetInt32());
        Assert.Equal(JsonValueKind.String, body.GetProperty("user_id").ValueKind);
        Assert.Equal(43, body.GetProperty("refresh_token").GetString()!.Length);
        using var alice = Server.NewClient(body.GetProperty("token").GetString());
        var me = await (await alice.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(body.GetProperty("user_id").GetString(), me.GetProperty("id").GetString());
        Assert.Equal("alice", me.GetProperty("username").GetString());
        Assert.Equal("Alice@Example.com", me.GetProperty("email").GetString());
        Assert.Equal("0", me.GetProperty("discriminator").GetString());
    }

    [Theory]
    [InlineData("")]
    [InlineData("Bot ")]
    [InlineData("bearer ")]
    public async Task The_forms_that_Discord_clients_and_bot_libraries_send_also_authenticate(string prefix)
    {
        var alice = await RegisterAsync("alice");
        using var request = new HttpRequestMessage(HttpMethod.Get, "users/@me");
        request.Headers.TryAddWithoutValidation("Authorization", prefix + alice.Token);

        var me = await (await Http.SendAsync(request, Cancel)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal(alice.UserId, me.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Usernames_are_unique_regardless_of_case()
    {
        await RegisterAsync("Alice");

        var error = await (await Http.PostJsonAsync("auth/register", new { username = "aLICE", password = "another password" }))
            .ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(50035, error.GetProperty("code").GetInt32());
        Assert.Contains("USERNAME_ALREADY_TAKEN", error.FieldErrorCodes("username"));
    }

    [Fact]
    public async Task Emails_are_unique_regardless_of_case()
    {
        await RegisterAsync("alice", email: "alice@example.com");

        var error = await (await Http.PostJsonAsync("auth/register", new { username = "bob", password = "another password", email = "ALICE@example.com" }))
            .ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Contains("EMAIL_ALREADY_REGISTERED", error.FieldErrorCodes("email"));
    }

    [Fact]
    public async Task Concurrent_registrations_of_one_name_let_exactly_one_win()
    {
        var attempts = await Task.WhenAll(Enumerable.Range(0, 8).Select(i =>
            Http.PostJsonAsync("auth/register", new { username = i % 2 == 0 ? "racer" : "RACER", password = "correct horse battery" })));

        Assert.Equal(1, attempts.Count(r => r.StatusCode == HttpStatusCode.Created));
        Assert.All(attempts.Where(r => r.StatusCode != HttpStatusCode.Created), r => Assert.Equal(HttpStatusCode.BadRequest, r.StatusCode));
    }

    [Theory]
    [InlineData("a", "username", "BASE_TYPE_BAD_LENGTH")]
    [InlineData("thirty-three-characters-long-name", "username", "BASE_TYPE_BAD_LENGTH")]
    [InlineData("no spaces", "username", "USERNAME_INVALID_CHARACTERS")]
    [InlineData("two..dots", "username", "USERNAME_INVALID_CHARACTERS")]
    [InlineData("<script>", "username", "USERNAME_INVALID_CHARACTERS")]
    [InlineData("everyone", "username", "USERNAME_INVALID_CONTAINS")]
    public async Task Bad_usernames_are_refused_with_the_reason(string username, string field, string code)
    {
        var error = await (await Http.PostJsonAsync("auth/register", new { username, password = "correct horse battery" }))
            .ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Contains(code, error.FieldErrorCodes(field));
    }

    [Fact]
    public async Task Missing_and_invalid_fields_are_all_reported_at_once()
    {
        var error = await (await Http.PostJsonAsync("auth/register", new { password = "short", email = "not-an-email" }))
            .ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal("Invalid Form Body", error.GetProperty("message").GetString());
        Assert.Contains("BASE_TYPE_REQUIRED", error.FieldErrorCodes("username"));
        Assert.Contains("PASSWORD_TOO_SHORT", error.FieldErrorCodes("password"));
        Assert.Contains("EMAIL_TYPE_INVALID_EMAIL", error.FieldErrorCodes("email"));
    }

    [Fact]
    public async Task Login_accepts_username_in_any_case_or_email()
    {
        var alice = await RegisterAsync("Alice", email: "alice@example.com");

        foreach (var login in new[] { "alice", "ALICE", "Alice@Example.com" })
        {
            var body = await (await Http.PostJsonAsync("auth/login", new { login, password = alice.Password })).ExpectAsync(HttpStatusCode.OK);
            Assert.Equal(alice.UserId, body.GetProperty("user_id").GetString());
            Assert.NotEqual(alice.RefreshToken, body.GetProperty("refresh_token").GetString());
        }
    }

    [Fact]
    public async Task Wrong_password_and_unknown_account_get_the_same_answer()
    {
        await RegisterAsync("alice");

        var wrongPassword = await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = "wrong password" })).ExpectAsync(HttpStatusCode.BadRequest);
        var unknownUser = await (await Http.PostJsonAsync("auth/login", new { login = "nobody", password = "wrong password" })).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(wrongPassword.ToString(), unknownUser.ToString());
        Assert.Contains("INVALID_LOGIN", wrongPassword.FieldErrorCodes("login"));
    }

    [Fact]
    public async Task Refresh_rotates_and_the_old_refresh_token_stops_working()
    {
        var alice = await RegisterAsync("alice");

        var rotated = await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = alice.RefreshToken })).ExpectAsync(HttpStatusCode.OK);
        var newRefresh = rotated.GetProperty("refresh_token").GetString()!;
        using var client = Server.NewClient(rotated.GetProperty("token").GetString());
        await (await client.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.OK);

        Assert.NotEqual(alice.RefreshToken, newRefresh);
        var again = await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = newRefresh })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(alice.UserId, again.GetProperty("user_id").GetString());
    }

    [Fact]
    public async Task Reusing_a_rotated_refresh_token_revokes_the_whole_session_family()
    {
        var alice = await RegisterAsync("alice");
        var rotated = await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = alice.RefreshToken })).ExpectAsync(HttpStatusCode.OK);
        var thiefsCopy = alice.RefreshToken;

        var replay = await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = thiefsCopy })).ExpectAsync(HttpStatusCode.Unauthorized);

        Assert.Equal(50014, replay.GetProperty("code").GetInt32());
        // The legitimate holder of the newest tokens is logged out too: the family is burnt.
        await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = rotated.GetProperty("refresh_token").GetString() })).ExpectAsync(HttpStatusCode.Unauthorized);
        using var client = Server.NewClient(rotated.GetProperty("token").GetString());
        await (await client.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);
        // Another session of the same user is untouched.
        var other = await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = alice.Password })).ExpectAsync(HttpStatusCode.OK);
        await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = other.GetProperty("refresh_token").GetString() })).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Racing_refreshes_of_one_token_never_yield_two_live_sessions()
    {
        var alice = await RegisterAsync("alice");

        var results = await Task.WhenAll(Enumerable.Range(0, 6).Select(_ =>
            Http.PostJsonAsync("auth/refresh", new { refresh_token = alice.RefreshToken })));

        var winners = results.Where(r => r.StatusCode == HttpStatusCode.OK).ToList();
        Assert.True(winners.Count <= 1, $"{winners.Count} refreshes of one token succeeded");
        Assert.All(results.Where(r => r.StatusCode != HttpStatusCode.OK), r => Assert.Equal(HttpStatusCode.Unauthorized, r.StatusCode));
        // Any loser was a replay, which burns the family, the winner's new token included.
        foreach (var winner in winners)
        {
            var token = (await winner.JsonAsync()).GetProperty("refresh_token").GetString();
            await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = token })).ExpectAsync(HttpStatusCode.Unauthorized);
        }
    }

    [Theory]
    [InlineData("")]
    [InlineData("not-a-token")]
    [InlineData("AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA")]
    public async Task Unknown_refresh_tokens_are_refused(string token)
    {
        var response = await Http.PostJsonAsync("auth/refresh", new { refresh_token = token });

        Assert.Contains(response.StatusCode, new[] { HttpStatusCode.Unauthorized, HttpStatusCode.BadRequest });
        Assert.True((await response.JsonAsync()).TryGetProperty("code", out _));
    }

    [Fact]
    public async Task Logout_ends_the_session_for_its_access_and_refresh_tokens()
    {
        var alice = await RegisterAsync("alice");
        using var client = alice.Client(Server);

        await (await client.PostAsync("auth/logout", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await (await client.GetAsync("users/@me", Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);
        await (await Http.PostJsonAsync("auth/refresh", new { refresh_token = alice.RefreshToken })).ExpectAsync(HttpStatusCode.Unauthorized);
    }

    [Fact]
    public async Task Logout_needs_a_token()
    {
        var error = await (await Http.PostAsync("auth/logout", null, Cancel)).ExpectAsync(HttpStatusCode.Unauthorized);

        Assert.Equal("401: Unauthorized", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Refresh_tokens_are_stored_only_as_hashes()
    {
        var alice = await RegisterAsync("alice");
        await using var db = Server.Database.OpenContext();

        var stored = db.Sessions.Select(s => s.TokenHash).ToList();

        Assert.Single(stored);
        Assert.Equal(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(alice.RefreshToken)), stored[0]);
    }
}
