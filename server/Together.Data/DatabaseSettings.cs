using Microsoft.Data.Sqlite;
using Microsoft.EntityFrameworkCore;

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
                options.UseNpgsql(connectionString, npgsql => npgsql.MigrationsAssembly(PostgresMigrationsAssembly));
                break;
            case DatabaseProvider.Sqlite:
                options.UseSqlite(connectionString, sqlite => sqlite.MigrationsAssembly(SqliteMigrationsAssembly));
                break;
            default:
                throw new ArgumentOutOfRangeException(nameof(provider), provider, "Unknown database provider.");
        }
        options.UseSnakeCaseNamingConvention();
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
    public static async Task MigrateAsync(TogetherDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        if (db.Database.IsSqlite())
            await db.Database.ExecuteSqlRawAsync("PRAGMA journal_mode=WAL;", cancellationToken);
        await db.Database.MigrateAsync(cancellationToken);
    }
}
