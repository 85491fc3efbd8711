using System.Globalization;
using Together.Data;

namespace Together.Server.Tests;

public abstract class RateLimitTests(DatabaseProvider provider) : ApiTest(provider)
{
    public sealed class OnPostgres() : RateLimitTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : RateLimitTests(DatabaseProvider.Sqlite);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:RateLimits:Login:Limit"] = "5",
        ["Auth:RateLimits:Login:WindowSeconds"] = "60",
        ["Auth:RateLimits:LoginPerAccount:Limit"] = "3",
        ["Auth:RateLimits:LoginPerAccount:WindowSeconds"] = "60",
        ["Auth:RateLimits:Register:Limit"] = "4",
        ["Auth:RateLimits:Register:WindowSeconds"] = "60",
        ["Auth:RateLimits:Refresh:Limit"] = "3",
        ["Auth:RateLimits:Refresh:WindowSeconds"] = "60",
        ["Auth:RateLimits:PasswordCheck:Limit"] = "3",
        ["Auth:RateLimits:PasswordCheck:WindowSeconds"] = "60",
        ["Invites:RateLimits:Accept:Limit"] = "2",
        ["Invites:RateLimits:Accept:WindowSeconds"] = "60",
    };

    [Fact]
    public async Task Logins_from_one_address_are_limited_with_discords_headers_and_body()
    {
        HttpResponseMessage? last = null;
        for (var i = 0; i < 5; i++)
        {
            last = await Http.PostJsonAsync("auth/login", new { login = $"user{i}", password = "whatever123" });
            Assert.Equal(HttpStatusCode.BadRequest, last.StatusCode);
            // Each login names a new account (3 per account left after it), the address has 4 - i left:
            // the headers describe whichever is closer to its limit.
            Assert.Equal(Math.Min(4 - i, 2).ToString(CultureInfo.InvariantCulture), last.Headers.GetValues("X-RateLimit-Remaining").Single());
        }
        Assert.Equal("5", last!.Headers.GetValues("X-RateLimit-Limit").Single());

        var limited = await Http.PostJsonAsync("auth/login", new { login = "user9", password = "whatever123" });
        var body = await limited.ExpectAsync(HttpStatusCode.TooManyRequests);

        Assert.Equal("You are being rate limited.", body.GetProperty("message").GetString());
        Assert.False(body.GetProperty("global").GetBoolean());
        var retryAfter = body.GetProperty("retry_after").GetDouble();
        Assert.InRange(retryAfter, 0.001, 60);
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.Equal("user", limited.Headers.GetValues("X-RateLimit-Scope").Single());
        Assert.True(limited.Headers.Contains("X-RateLimit-Reset-After"));
        Assert.True(limited.Headers.Contains("X-RateLimit-Bucket"));
    }

    [Fact]
    public async Task Guessing_one_accounts_password_is_limited_per_account()
    {
        for (var i = 0; i < 3; i++)
            await (await Http.PostJsonAsync("auth/login", new { login = "victim", password = $"guess-{i}-xx" })).ExpectAsync(HttpStatusCode.BadRequest);

        var limited = await Http.PostJsonAsync("auth/login", new { login = "VICTIM", password = "guess-9-xx" });

        await limited.ExpectAsync(HttpStatusCode.TooManyRequests);
        // Other accounts are unaffected.
        await (await Http.PostJsonAsync("auth/login", new { login = "someone", password = "guess-0-xx" })).ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task An_accounts_username_and_email_share_one_login_budget()
    {
        var alice = await RegisterAsync("alice", email: "alice@example.com");
        await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = "guess-0-xx" })).ExpectAsync(HttpStatusCode.BadRequest);
        await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = "guess-1-xx" })).ExpectAsync(HttpStatusCode.BadRequest);
        await (await Http.PostJsonAsync("auth/login", new { login = "alice@example.com", password = "guess-2-xx" })).ExpectAsync(HttpStatusCode.BadRequest);

        // The email has been typed once, but the account behind it has had its three guesses.
        var limited = await Http.PostJsonAsync("auth/login", new { login = "alice@example.com", password = alice.Password });

        var body = await limited.ExpectAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("You are being rate limited.", body.GetProperty("message").GetString());
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.True(limited.Headers.Contains("Retry-After"));
    }

    [Fact]
    public async Task Refreshes_from_one_address_are_limited_with_discords_headers_and_body()
    {
        for (var i = 0; i < 3; i++)
        {
            var refused = await Http.PostJsonAsync("auth/refresh", new { refresh_token = $"not-a-token-{i}" });
            await refused.ExpectAsync(HttpStatusCode.Unauthorized);
            Assert.Equal((2 - i).ToString(CultureInfo.InvariantCulture), refused.Headers.GetValues("X-RateLimit-Remaining").Single());
        }

        var limited = await Http.PostJsonAsync("auth/refresh", new { refresh_token = "not-a-token-9" });

        var body = await limited.ExpectAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("You are being rate limited.", body.GetProperty("message").GetString());
        Assert.False(body.GetProperty("global").GetBoolean());
        Assert.InRange(body.GetProperty("retry_after").GetDouble(), 0.001, 60);
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("3", limited.Headers.GetValues("X-RateLimit-Limit").Single());
        Assert.True(limited.Headers.Contains("X-RateLimit-Bucket"));
    }

    [Fact]
    public async Task Password_checks_when_changing_account_details_are_limited_per_account()
    {
        var alice = await RegisterAsync("alice");
        var bob = await RegisterAsync("bobby");
        using var client = alice.Client(Server);
        for (var i = 0; i < 3; i++)
        {
            var wrong = await (await client.PatchJsonAsync("users/@me", new { username = "alicia", password = $"guess-{i}-xx" }))
                .ExpectAsync(HttpStatusCode.BadRequest);
            Assert.Contains("PASSWORD_DOES_NOT_MATCH", wrong.FieldErrorCodes("password"));
        }

        // With a stolen token, the right password is out of reach too once the guesses are spent.
        var limited = await client.PatchJsonAsync("users/@me", new { username = "alicia", password = alice.Password });

        var body = await limited.ExpectAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("You are being rate limited.", body.GetProperty("message").GetString());
        Assert.False(body.GetProperty("global").GetBoolean());
        Assert.InRange(int.Parse(limited.Headers.GetValues("Retry-After").Single(), CultureInfo.InvariantCulture), 1, 60);
        Assert.Equal("0", limited.Headers.GetValues("X-RateLimit-Remaining").Single());
        Assert.Equal("3", limited.Headers.GetValues("X-RateLimit-Limit").Single());
        // Changes that need no password still go through, and other accounts have their own budget.
        await (await client.PatchJsonAsync("users/@me", new { global_name = "Alice" })).ExpectAsync(HttpStatusCode.OK);
        using var bobClient = bob.Client(Server);
        await (await bobClient.PatchJsonAsync("users/@me", new { username = "robert", password = bob.Password })).ExpectAsync(HttpStatusCode.OK);
    }

    [Fact]
    public async Task Registrations_from_one_address_are_limited()
    {
        for (var i = 0; i < 4; i++)
            await RegisterAsync($"user{i}");

        await (await Http.PostJsonAsync("auth/register", new { username = "user9", password = "correct horse battery" }))
            .ExpectAsync(HttpStatusCode.TooManyRequests);
    }

    [Fact]
    public async Task Joins_by_invite_from_one_address_follow_the_configured_limit()
    {
        var owner = await RegisterAsync("owner");
        using var ownerClient = owner.Client(Server);
        var guild = await (await ownerClient.PostJsonAsync("guilds", new { name = "LAN" })).ExpectAsync(HttpStatusCode.Created);
        var channel = (await (await ownerClient.GetAsync($"guilds/{guild.GetProperty("id").GetString()}/channels", Cancel)).ExpectAsync(HttpStatusCode.OK))
            .EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 0).GetProperty("id").GetString();
        var code = (await (await ownerClient.PostJsonAsync($"channels/{channel}/invites", new { })).ExpectAsync(HttpStatusCode.OK)).GetProperty("code").GetString();

        for (var i = 0; i < 2; i++)
        {
            using var guest = (await RegisterAsync($"guest{i}")).Client(Server);
            await (await guest.PostAsync($"invites/{code}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);
        }
        using var third = (await RegisterAsync("guest2")).Client(Server);
        var limited = await third.PostAsync($"invites/{code}", null, Cancel);

        await limited.ExpectAsync(HttpStatusCode.TooManyRequests);
        Assert.Equal("2", limited.Headers.GetValues("X-RateLimit-Limit").Single());
    }
}
