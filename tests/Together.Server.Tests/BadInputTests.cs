using Together.Data;

namespace Together.Server.Tests;

/// <summary>Whatever a client sends, the answer is a 4xx with Discord's error JSON, never a 500.</summary>
public abstract class BadInputTests(DatabaseProvider provider) : CommunityTest(provider)
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

    [Theory]
    [InlineData("""{"content": "a\u0000b"}""", "content")]
    [InlineData("""{"content": "half a pair \ud83c"}""", "content")]
    [InlineData("""{"content": "fine", "nonce": "\u0000"}""", "nonce")]
    [InlineData("""{"content": "fine", "nonce": "\udfff"}""", "nonce")]
    [InlineData("""{"content": "fine", "attachments": [{"id": "0", "filename": "a\u0000.png"}]}""", "attachments.0.filename")]
    public async Task Text_the_database_cannot_hold_is_a_bad_value_of_its_field(string body, string field)
    {
        // PostgreSQL cannot store U+0000 in text, and an escaped lone surrogate is valid JSON but
        // not text: both used to surface as 500s from deep inside a save or a read.
        await SetUpCommunityAsync();

        var error = await (await BobHttp.SendRawAsync(HttpMethod.Post, $"channels/{GeneralId}/messages", body)).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(50035, error.GetProperty("code").GetInt32());
        Assert.Contains("BASE_TYPE_INVALID", error.FieldErrorCodes(field));
        Assert.Empty((await Get(BobHttp, $"channels/{GeneralId}/messages")).EnumerateArray());
    }

    [Fact]
    public async Task Nul_characters_are_refused_everywhere_text_is_stored()
    {
        await SetUpCommunityAsync();

        await Expect400(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}", new { name = "LAN\u0000party" }), "name");
        await Expect400(await AliceHttp.PatchJsonAsync($"channels/{GeneralId}", new { topic = "\u0000" }), "topic");
        await Expect400(await AliceHttp.PostJsonAsync($"guilds/{GuildId}/roles", new { name = "mod\u0000" }), "name");
        await Expect400(await BobHttp.PatchJsonAsync("users/@me", new { global_name = "Bob\u0000" }), "global_name");
        await Expect400(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/@me", new { nick = "\u0000" }), "nick");
        var sent = await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "fine" })).ExpectAsync(HttpStatusCode.OK);
        await Expect400(await BobHttp.PatchJsonAsync($"channels/{GeneralId}/messages/{sent.GetProperty("id").GetString()}", new { content = "edit\u0000" }), "content");

        Assert.Equal("fine", (await Get(BobHttp, $"channels/{GeneralId}/messages")).EnumerateArray().Single().GetProperty("content").GetString());
        Assert.DoesNotContain('\0', (await Get(AliceHttp, $"guilds/{GuildId}")).GetProperty("name").GetString()!);
    }

    [Fact]
    public async Task A_nul_in_a_plain_form_field_is_refused_like_one_in_json()
    {
        await SetUpCommunityAsync();
        using var form = new MultipartFormDataContent { { new StringContent("gg\0wp"), "content" } };

        await Expect400(await BobHttp.PostAsync($"channels/{GeneralId}/messages", form, Cancel), "content");
        Assert.Empty((await Get(BobHttp, $"channels/{GeneralId}/messages")).EnumerateArray());
    }

    [Fact]
    public async Task Null_entries_in_lists_are_bad_values_not_crashes()
    {
        await SetUpCommunityAsync();
        var channels = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).GetArrayLength();

        await Expect400(await AliceHttp.SendRawAsync(HttpMethod.Post, $"guilds/{GuildId}/channels", """{"name": "raids", "permission_overwrites": [null]}"""), "permission_overwrites");
        await Expect400(await AliceHttp.SendRawAsync(HttpMethod.Patch, $"channels/{GeneralId}", """{"permission_overwrites": [null]}"""), "permission_overwrites");
        await Expect400(await BobHttp.SendRawAsync(HttpMethod.Post, $"channels/{GeneralId}/messages", """{"content": "a", "attachments": [null]}"""), "attachments");
        var sent = await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "fine" })).ExpectAsync(HttpStatusCode.OK);
        await Expect400(await BobHttp.SendRawAsync(HttpMethod.Patch, $"channels/{GeneralId}/messages/{sent.GetProperty("id").GetString()}", """{"attachments": [null]}"""), "attachments");
        foreach (var list in new[] { $"guilds/{GuildId}/channels", $"guilds/{GuildId}/roles" })
            await (await AliceHttp.SendRawAsync(HttpMethod.Patch, list, "[null]")).ExpectAsync(HttpStatusCode.BadRequest);

        Assert.Equal(channels, (await Get(AliceHttp, $"guilds/{GuildId}/channels")).GetArrayLength());
    }

    [Fact]
    public async Task A_nul_in_a_query_is_a_bad_value_of_its_parameter()
    {
        await SetUpCommunityAsync();

        await Expect400(await BobHttp.GetAsync($"guilds/{GuildId}/messages/search?content=raid%00night", Cancel), "content");
        await Expect400(await BobHttp.GetAsync($"guilds/{GuildId}/messages/search?content=raid&has=%00link", Cancel), "has");
    }

    [Fact]
    public async Task A_bad_snowflake_is_quoted_as_discord_quotes_it()
    {
        await SetUpCommunityAsync();

        var error = await (await BobHttp.GetAsync("guilds/abc", Cancel)).ExpectAsync(HttpStatusCode.BadRequest);

        var entry = error.GetProperty("errors").GetProperty("guild_id").GetProperty("_errors")[0];
        Assert.Equal("NUMBER_TYPE_COERCE", entry.GetProperty("code").GetString());
        Assert.Equal("Value \"abc\" is not snowflake.", entry.GetProperty("message").GetString());
    }

    private static async Task Expect400(HttpResponseMessage response, string field)
    {
        var error = await response.ExpectAsync(HttpStatusCode.BadRequest);
        Assert.Equal(50035, error.GetProperty("code").GetInt32());
        Assert.True(error.GetProperty("errors").TryGetProperty(field, out _), error.ToString());
    }
}
