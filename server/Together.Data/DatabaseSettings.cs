using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Diagnostics;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Migrations;
using Microsoft.Extensions.Logging;

namespace Together.Data;

public enum DatabaseProvider
{
    Sqlite,
    Postgres,
}

/// <summary>The <c>Database</c> configuration section.</summary>
public sealed class DatabaseSettings
{
    public DatabaseProvider Provider { get; set; } = DatabaseProvider.Sqlite;

    /// <summary>
    /// For PostgreSQL, an Npgsql connection string. For SQLite, optional: by default the file
    /// <c>together.db</c> in the data folder.
    /// </summary>
    public string? ConnectionString { get; set; }
}

/// <summary>The one place that knows which database provider runs.</summary>
public static class TogetherDbProviders
{
    public const string PostgresMigrationsAssembly = "Together.Data.Postgres";
    public const string SqliteMigrationsAssembly = "Together.Data.Sqlite";

    public static void Configure(DbContextOptionsBuilder options, DatabaseProvider provider, string connectionString)
    {
        ArgumentNullException.ThrowIfNull(options);
        switch (provider)
        {
            case DatabaseProvider.Postgres:
                options.UseNpgsql(PostgresConnectionString(connectionString), npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
            case DatabaseProvider.Sqlite:
                options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider.");
        }
        options.UseSnakeCaseNamingConvention();
        // The one Take without OrderBy is deliberate: search counts its hits up to a cap, where an
        // ORDER BY would make the database read every hit again. Every page is ordered.
        options.ConfigureWarnings(w => w.Log((CoreEventId.RowLimitingOperationWithoutOrderByWarning, LogLevel.Debug)));
    }

    /// <summary>
    /// The admin's Npgsql connection string with two defaults of ours where it does not say
    /// otherwise. EF Core opens and closes the connection around every query, and by default
    /// Npgsql then resets it with <c>DISCARD ALL</c>, which also drops every prepared statement:
    /// each query paid for a reset and a fresh parse and plan (about 1 ms a query on the benchmark
    /// machine). The server keeps no session state on pooled connections (no SET, temporary
    /// tables or LISTEN), so it skips the reset (<c>No Reset On Close</c>) and lets Npgsql prepare
    /// the statements it sees repeatedly (<c>Max Auto Prepare</c>). Behind PgBouncer in
    /// transaction mode, set <c>Max Auto Prepare=0</c> in the connection string.
    /// </summary>
    public static string PostgresConnectionString(string given)
    {
        var explicitKeys = new System.Data.Common.DbConnectionStringBuilder { ConnectionString = given }.Keys.Cast<string>()
            .Select(k => k.Replace(" ", "", StringComparison.Ordinal)).ToHashSet(StringComparer.OrdinalIgnoreCase);
        var builder = new Npgsql.NpgsqlConnectionStringBuilder(given);
        if (!explicitKeys.Contains("NoResetOnClose"))
            builder.NoResetOnClose = true;
        if (!explicitKeys.Contains("MaxAutoPrepare"))
            builder.MaxAutoPrepare = 64;
        return builder.ConnectionString;
    }

    /// <summary>The full-text search implementation for the provider.</summary>
    public static Search.IMessageSearch MessageSearch(DatabaseProvider provider) => provider switch
    {
        DatabaseProvider.Postgres => new Search.PostgresMessageSearch(),
        DatabaseProvider.Sqlite => new Search.SqliteMessageSearch(),
        _ => throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider."),
    };

    /// <summary>The SQLite connection string for a database file, creating its folder.</summary>
    public static string SqliteConnectionString(string path)
    {
        var full = Path.GetFullPath(path);
        Directory.CreateDirectory(Path.GetDirectoryName(full)!);
        return new SqliteConnectionStringBuilder
        {
            DataSource = full,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Cache = SqliteCacheMode.Private,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();
    }

    /// <summary>
    /// Applies migrations, and on SQLite switches the file to write-ahead logging so readers do
    /// not block the writer. Journal mode is stored in the file, so this runs once per start.
    /// </summary>
    /// <returns>The migrations it applied.</returns>
    public static async Task<IReadOnlyList<string>> MigrateAsync(TogetherDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        if (db.Database.IsNpgsql())
        {
            // Npgsql's provider learns whether the history table exists by querying it, and EF logs
            // that failed query as an error: on a new admin's first start, two "fail:" lines about a
            // table that is simply not there yet (npgsql/efcore.pg#3407). Created first, it is there.
            await db.Database.ExecuteSqlRawAsync(db.GetService<IHistoryRepository>().GetCreateIfNotExistsScript(), cancellationToken);
        }
        var pending = (await db.Database.GetPendingMigrationsAsync(cancellationToken)).ToList();
        await db.Database.MigrateAsync(cancellationToken);
        return pending;
    }
}
