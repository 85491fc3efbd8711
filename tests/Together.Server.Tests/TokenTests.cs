using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Together.Data;

namespace Together.Server.Tests;

/// <summary>Access tokens the server must refuse: expired, tampered, forged, malformed.</summary>
public abstract class TokenTests(DatabaseProvider provider) : ApiTest(provider)
{
    public sealed class OnPostgres() : TokenTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : TokenTests(DatabaseProvider.Sqlite);

    private static string Forge(string sub, string sid, DateTime expires, byte[]? key = null, string issuer = "together", string algorithm = SecurityAlgorithms.HmacSha256)
    {
        var handler = new JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false };
        return handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = issuer,
            Audience = "together",
            IssuedAt = expires.AddMinutes(-15),
            NotBefore = expires.AddMinutes(-15),
            Expires = expires,
            SigningCredentials = new SigningCredentials(new SymmetricSecurityKey(key ?? RunningServer.SigningKey), algorithm),
            Claims = new Dictionary<string, object> { ["sub"] = sub, ["sid"] = sid },
        });
    }

    private async Task<HttpStatusCode> MeWith(string authorization)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "users/@me");
        request.Headers.TryAddWithoutValidation("Authorization", authorization);
        var response = await Http.SendAsync(request, Cancel);
        if (response.StatusCode == HttpStatusCode.Unauthorized)
            Assert.Equal(0, (await response.JsonAsync()).GetProperty("code").GetInt32());
        return response.StatusCode;
    }

    private async Task<(string UserId, string SessionId)> Identity()
    {
        var alice = await RegisterAsync("alice");
        var jwt = new JsonWebToken(alice.Token);
        return (alice.UserId, jwt.GetClaim("sid").Value);
    }

    [Fact]
    public async Task A_token_forged_with_the_servers_key_is_accepted_so_the_forgeries_below_mean_something()
    {
        var (user, session) = await Identity();

        Assert.Equal(HttpStatusCode.OK, await MeWith("Bearer " + Forge(user, session, DateTime.UtcNow.AddMinutes(5))));
    }

    [Fact]
    public async Task An_expired_token_is_refused()
    {
        var (user, session) = await Identity();

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith("Bearer " + Forge(user, session, DateTime.UtcNow.AddMinutes(-2))));
    }

    [Fact]
    public async Task A_token_signed_with_another_key_is_refused()
    {
        var (user, session) = await Identity();

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith("Bearer " + Forge(user, session, DateTime.UtcNow.AddMinutes(5), RandomNumberGenerator.GetBytes(64))));
    }

    [Fact]
    public async Task A_token_from_another_issuer_is_refused()
    {
        var (user, session) = await Identity();

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith("Bearer " + Forge(user, session, DateTime.UtcNow.AddMinutes(5), issuer: "someone-else")));
    }

    [Fact]
    public async Task A_token_with_a_changed_payload_is_refused()
    {
        var alice = await RegisterAsync("alice");
        var bob = await RegisterAsync("bobby");
        var parts = alice.Token.Split('.');
        // Swap alice's user id for bob's in the payload, keeping alice's signature.
        var payload = Base64UrlEncoder.Decode(parts[1]).Replace(alice.UserId, bob.UserId, StringComparison.Ordinal);
        var tampered = $"{parts[0]}.{Base64UrlEncoder.Encode(payload)}.{parts[2]}";

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith("Bearer " + tampered));
    }

    [Fact]
    public async Task An_unsigned_token_is_refused()
    {
        var (user, session) = await Identity();
        var header = Base64UrlEncoder.Encode("""{"alg":"none","typ":"JWT"}""");
        var exp = DateTimeOffset.UtcNow.AddMinutes(5).ToUnixTimeSeconds();
        var payload = Base64UrlEncoder.Encode($$"""{"iss":"together","aud":"together","sub":"{{user}}","sid":"{{session}}","exp":{{exp}}}""");

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith($"Bearer {header}.{payload}."));
    }

    [Fact]
    public async Task A_token_for_a_session_that_never_existed_is_refused()
    {
        var (user, _) = await Identity();

        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith("Bearer " + Forge(user, "12345", DateTime.UtcNow.AddMinutes(5))));
    }

    [Theory]
    [InlineData("Bearer")]
    [InlineData("Bearer ")]
    [InlineData("Basic YWxpY2U6cGFzc3dvcmQ=")]
    [InlineData("Bearer a.b.c")]
    [InlineData("Bearer eyJhbGciOiJIUzI1NiJ9")]
    [InlineData("garbage")]
    public async Task Malformed_authorization_headers_get_401(string header) =>
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith(header));

    [Fact]
    public async Task A_huge_authorization_header_gets_401_not_a_crash() =>
        Assert.Equal(HttpStatusCode.Unauthorized, await MeWith("Bearer " + new string('a', 6000)));
}
