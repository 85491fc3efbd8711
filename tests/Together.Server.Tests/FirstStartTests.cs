using System.Net.Http.Headers;
using Microsoft.AspNetCore.Builder;
using Microsoft.Data.Sqlite;

namespace Together.Server.Tests;

/// <summary>
/// The README's run path: an empty data folder and no other setting (no signing key, no
/// connection string), as <c>scripts/run.sh</c> starts the server on a fresh clone. Every other
/// test passes its own key and database, so this is the one place the defaults are exercised.
/// </summary>
public sealed class FirstStartTests : IAsyncLifetime
{
    private readonly string _dataDirectory = Path.Combine(Path.GetTempPath(), "together-first-start-" + Guid.NewGuid().ToString("N")[..12]);

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    [Fact]
    public async Task A_fresh_data_folder_gets_a_wal_sqlite_database_and_a_private_signing_key_that_survives_a_restart()
    {
        string token;
        await using (var first = await StartAsync())
        {
            using var http = new HttpClient { BaseAddress = first.Address };
            var ready = await http.GetAsync("/health/ready", Cancel);
            Assert.Equal(HttpStatusCode.OK, ready.StatusCode);

            var registered = await (await http.PostJsonAsync("/api/v10/auth/register", new { username = "alice", password = "correct horse battery" }))
                .ExpectAsync(HttpStatusCode.Created);
            token = registered.GetProperty("token").GetString()!;
        }

        var database = Path.Combine(_dataDirectory, "together.db");
        Assert.True(File.Exists(database), "together.db was not created in the data folder");
        Assert.Equal("wal", await JournalModeAsync(database));

        var keyFile = Path.Combine(_dataDirectory, "jwt-signing.key");
        Assert.True(File.Exists(keyFile), "jwt-signing.key was not created in the data folder");
        if (!OperatingSystem.IsWindows())
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(keyFile));
        var key = await File.ReadAllTextAsync(keyFile, Cancel);
        // Nothing here uses ASP.NET Core's data protection; its key ring (and the XML stack that
        // reads it) cost memory in every server when authentication pulled it in.
        Assert.False(Directory.Exists(Path.Combine(_dataDirectory, "keys")), "a data-protection key ring was written");

        await using (var second = await StartAsync())
        {
            Assert.Equal(key, await File.ReadAllTextAsync(keyFile, Cancel));
            using var http = new HttpClient { BaseAddress = second.Address };
            http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
            var me = await (await http.GetAsync("/api/v10/users/@me", Cancel)).ExpectAsync(HttpStatusCode.OK);
            Assert.Equal("alice", me.GetProperty("username").GetString());
        }
    }

    private async Task<StartedApp> StartAsync()
    {
        var app = TogetherApp.Create(
        [
            $"--DataDirectory={_dataDirectory}",
            "--Urls=http://127.0.0.1:0",
            // Not part of the run path: voice binds one fixed UDP port (50000) by default, and test
            // servers run side by side.
            "--Voice:Port=0",
        ]);
        await app.StartAsync(Cancel);
        return new StartedApp(app, new Uri(app.Urls.Single()));
    }

    private static async Task<string?> JournalModeAsync(string database)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = database, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        await connection.OpenAsync(Cancel);
        await using var command = connection.CreateCommand();
        command.CommandText = "PRAGMA journal_mode";
        return (string?)await command.ExecuteScalarAsync(Cancel);
    }

    public ValueTask InitializeAsync() => ValueTask.CompletedTask;

    public ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        try
        {
            Directory.Delete(_dataDirectory, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the OS temp folder cleans up.
        }
        return ValueTask.CompletedTask;
    }

    private sealed record StartedApp(WebApplication App, Uri Address) : IAsyncDisposable
    {
        public async ValueTask DisposeAsync()
        {
            await App.StopAsync();
            await App.DisposeAsync();
        }
    }
}
