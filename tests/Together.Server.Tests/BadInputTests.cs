using Together.Data;

namespace Together.Server.Tests;

/// <summary>Whatever a client sends, the answer is a 4xx with Discord's error JSON, never a 500.</summary>
public abstract class BadInputTests(DatabaseProvider provider) : ApiTest(provider)
{
    public sealed class OnPostgres() : BadInputTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : BadInputTests(DatabaseProvider.Sqlite);

    [Theory]
    [InlineData("{\"username\":")]
    [InlineData("{username: 'alice'}")]
    [InlineData("not json at all")]
    [InlineData("{\"username\":\"alice\",}")]
    [InlineData("[1,2,3]")]
    [InlineData("")]
    public async Task Malformed_json_is_50109(string body)
    {
        var error = await (await Http.SendRawAsync(HttpMethod.Post, "auth/register", body)).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(50109, error.GetProperty("code").GetInt32());
    }

    [Theory]
    [InlineData("""{"username": 12, "password": "correct horse battery"}""", "username")]
    [InlineData("""{"username": "alice", "password": ["a"]}""", "password")]
    [InlineData("""{"username": {"nested": true}, "password": "correct horse battery"}""", "username")]
    public async Task Wrong_types_name_the_field(string body, string field)
    {
        var error = await (await Http.SendRawAsync(HttpMethod.Post, "auth/register", body)).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(50035, error.GetProperty("code").GetInt32());
        Assert.True(error.GetProperty("errors").TryGetProperty(field, out _), error.ToString());
    }

    [Fact]
    public async Task Unknown_fields_are_ignored_as_discord_does() =>
        await (await Http.SendRawAsync(HttpMethod.Post, "auth/register",
            """{"username": "alice", "password": "correct horse battery", "date_of_birth": "2000-01-01", "consent": true}"""))
            .ExpectAsync(HttpStatusCode.Created);

    [Fact]
    public async Task Oversize_bodies_are_413_with_discords_code()
    {
        var huge = $$"""{"username": "alice", "password": "{{new string('x', 2 * 1024 * 1024)}}"}""";

        var error = await (await Http.SendRawAsync(HttpMethod.Post, "auth/register", huge)).ExpectAsync(HttpStatusCode.RequestEntityTooLarge);

        Assert.Equal(40005, error.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Deeply_nested_json_is_refused_without_a_crash()
    {
        var nested = new string('[', 5000) + new string(']', 5000);

        var response = await Http.SendRawAsync(HttpMethod.Post, "auth/login", nested);

        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);
    }

    [Fact]
    public async Task Unknown_routes_are_404_json()
    {
        var error = await (await Http.GetAsync("no/such/route", Cancel)).ExpectAsync(HttpStatusCode.NotFound);

        Assert.Equal(0, error.GetProperty("code").GetInt32());
        Assert.Equal("404: Not Found", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Wrong_methods_are_405_json()
    {
        var error = await (await Http.DeleteAsync("auth/login", Cancel)).ExpectAsync(HttpStatusCode.MethodNotAllowed);

        Assert.Equal("405: Method Not Allowed", error.GetProperty("message").GetString());
    }

    [Fact]
    public async Task Non_json_bodies_are_415_json()
    {
        var error = await (await Http.SendRawAsync(HttpMethod.Post, "auth/login", "login=alice&password=x", "application/x-www-form-urlencoded"))
            .ExpectAsync(HttpStatusCode.UnsupportedMediaType);

        Assert.Equal(0, error.GetProperty("code").GetInt32());
    }

    [Fact]
    public async Task Absurdly_long_credentials_are_refused_without_hashing_them()
    {
        var longPassword = new string('p', 10_000);

        await (await Http.PostJsonAsync("auth/register", new { username = "alice", password = longPassword })).ExpectAsync(HttpStatusCode.BadRequest);
        await (await Http.PostJsonAsync("auth/login", new { login = new string('l', 10_000), password = longPassword })).ExpectAsync(HttpStatusCode.BadRequest);
    }

    [Fact]
    public async Task Unicode_and_control_characters_do_not_break_validation()
    {
        await (await Http.PostJsonAsync("auth/register", new { username = "ålice", password = "correct horse battery" })).ExpectAsync(HttpStatusCode.BadRequest);
        await (await Http.PostJsonAsync("auth/register", new { username = "alice\u0000", password = "correct horse battery" })).ExpectAsync(HttpStatusCode.BadRequest);
        var ok = await RegisterAsync("alice", "pässwörd with ünïcode 🎮");
        await (await Http.PostJsonAsync("auth/login", new { login = "alice", password = ok.Password })).ExpectAsync(HttpStatusCode.OK);
    }
}
