using Microsoft.Data.Sqlite;
using Together.Data;
using Together.TestSupport;

namespace Together.Server.Tests;

public abstract class HealthAndDocsTests(DatabaseProvider provider) : ApiTest(provider)
{
    public sealed class OnPostgres() : HealthAndDocsTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : HealthAndDocsTests(DatabaseProvider.Sqlite);

    [Theory]
    [InlineData("/health/live")]
    [InlineData("/health/ready")]
    public async Task Health_endpoints_answer_healthy(string path)
    {
        var response = await Http.GetAsync(new Uri(Server.Address, path), Cancel);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal("Healthy", await response.Content.ReadAsStringAsync(Cancel));
    }

    [Fact]
    public async Task Readiness_fails_when_the_database_is_unreachable_while_liveness_holds()
    {
        await MakeDatabaseUnreachableAsync();

        var ready = await Http.GetAsync(new Uri(Server.Address, "/health/ready"), Cancel);
        var live = await Http.GetAsync(new Uri(Server.Address, "/health/live"), Cancel);

        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);
        Assert.Equal("Unhealthy", await ready.Content.ReadAsStringAsync(Cancel));
        Assert.Equal(HttpStatusCode.OK, live.StatusCode);
    }

    /// <summary>
    /// PostgreSQL: the server's database is dropped, its open connections terminated (FORCE).
    /// SQLite: the file is swapped for a folder of the same name, so it cannot be opened or
    /// silently created afresh.
    /// </summary>
    private async Task MakeDatabaseUnreachableAsync()
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            await PostgresServer.DropDatabaseAsync(Server.Database.ConnectionString);
            return;
        }
        var file = new SqliteConnectionStringBuilder(Server.Database.ConnectionString).DataSource;
        SqliteConnection.ClearAllPools();
        foreach (var path in new[] { file, file + "-wal", file + "-shm" })
            File.Delete(path);
        Directory.CreateDirectory(file);
    }

    [Fact]
    public async Task The_openapi_document_describes_the_api_with_string_snowflakes()
    {
        var document = await (await Http.GetAsync(new Uri(Server.Address, "/openapi/v1.json"), Cancel)).ExpectAsync(HttpStatusCode.OK);

        var paths = document.GetProperty("paths");
        Assert.True(paths.TryGetProperty("/api/v10/auth/login", out _));
        Assert.True(paths.TryGetProperty("/api/v10/users/@me", out _));
        var schemas = document.GetProperty("components").GetProperty("schemas");
        var tokenResponse = schemas.GetProperty("TokenResponse").GetProperty("properties");
        Assert.True(tokenResponse.TryGetProperty("refresh_token", out _));
        Assert.Equal("#/components/schemas/Snowflake", tokenResponse.GetProperty("user_id").GetProperty("$ref").GetString());
        Assert.Equal("string", schemas.GetProperty("Snowflake").GetProperty("type").GetString());
    }

    [Fact]
    public async Task The_api_reference_page_is_served_with_its_script()
    {
        var page = await Http.GetStringAsync(new Uri(Server.Address, "/docs/"), Cancel);
        Assert.Contains("scalar.js", page, StringComparison.Ordinal);

        var script = await Http.GetAsync(new Uri(Server.Address, "/docs/scalar.js"), Cancel);
        Assert.Equal(HttpStatusCode.OK, script.StatusCode);
    }
}
