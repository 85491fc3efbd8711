using Microsoft.EntityFrameworkCore;
using Npgsql;
using Together.Data;

namespace Together.TestSupport;

/// <summary>One isolated database per test, on either provider, migrated by the real migrations.</summary>
public sealed class TestDatabase : IAsyncDisposable
{
    private static readonly SemaphoreSlim TemplateLock = new(1, 1);
    private static string? _postgresTemplate;

    private TestDatabase(DatabaseProvider provider, string connectionString, string? directory)
    {
        Provider = provider;
        ConnectionString = connectionString;
        Directory = directory;
    }

    public DatabaseProvider Provider { get; }

    public string ConnectionString { get; }

    /// <summary>A scratch folder for this test (the SQLite file lives here).</summary>
    public string? Directory { get; }

    /// <summary>
    /// A fresh database. On PostgreSQL it is copied from a template that the migrations built once
    /// per test run (copying is much faster than migrating); <paramref name="empty"/> skips the template.
    /// On SQLite it is a new file that the server migrates when it starts.
    /// </summary>
    public static async Task<TestDatabase> CreateAsync(DatabaseProvider provider, bool empty = false)
    {
        if (provider == DatabaseProvider.Postgres)
        {
            var template = empty ? null : await PostgresTemplateAsync();
            return new TestDatabase(provider, await PostgresServer.CreateDatabaseAsync(template), null);
        }
        var dir = Path.Combine(Path.GetTempPath(), "together-test-" + Guid.NewGuid().ToString("N")[..12]);
        System.IO.Directory.CreateDirectory(dir);
        return new TestDatabase(provider, TogetherDbProviders.SqliteConnectionString(Path.Combine(dir, "together.db")), dir);
    }

    public TogetherDb OpenContext()
    {
        var options = new DbContextOptionsBuilder<TogetherDb>();
        TogetherDbProviders.Configure(options, Provider, ConnectionString);
        return new TogetherDb(options.Options);
    }

    private static async Task<string> PostgresTemplateAsync()
    {
        await TemplateLock.WaitAsync();
        try
        {
            if (_postgresTemplate is not null)
                return _postgresTemplate;
            var connectionString = await PostgresServer.CreateDatabaseAsync();
            var options = new DbContextOptionsBuilder<TogetherDb>();
            TogetherDbProviders.Configure(options, DatabaseProvider.Postgres, connectionString);
            await using (var db = new TogetherDb(options.Options))
                await TogetherDbProviders.MigrateAsync(db, CancellationToken.None);
            // A template must have no open connections while it is copied.
            NpgsqlConnection.ClearAllPools();
            return _postgresTemplate = new NpgsqlConnectionStringBuilder(connectionString).Database!;
        }
        finally
        {
            TemplateLock.Release();
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (Provider == DatabaseProvider.Postgres)
        {
            await PostgresServer.DropDatabaseAsync(ConnectionString);
            return;
        }
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory!, recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the OS temp folder cleans up.
        }
    }
}
