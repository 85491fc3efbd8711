using Microsoft.EntityFrameworkCore;
using Together.Data;

namespace Together.Server.Infrastructure;

public static class Database
{
    /// <summary>
    /// Contexts kept for reuse. EF's default (1,024) keeps every context a burst ever needed: after
    /// 500 clients identified at once, 500 contexts (~12 KB each with their internal services) stayed
    /// for the life of the process. More than the database's connection pool (Npgsql: 100) would
    /// only wait for a connection anyway; a busier moment creates a few contexts more.
    /// </summary>
    public const int PooledContexts = 64;

    /// <summary>Reads the <c>Database</c> section and registers <see cref="TogetherDb"/> for it.</summary>
    public static IServiceCollection AddDatabase(this IServiceCollection services, IConfiguration configuration, DataDirectory data)
    {
        var settings = configuration.GetSection("Database").Get<DatabaseSettings>() ?? new DatabaseSettings();
        var connectionString = settings.Provider switch
        {
            DatabaseProvider.Sqlite => string.IsNullOrWhiteSpace(settings.ConnectionString)
                ? TogetherDbProviders.SqliteConnectionString(Path.Combine(data.Path, "together.db"))
                : settings.ConnectionString,
            _ => string.IsNullOrWhiteSpace(settings.ConnectionString)
                ? throw new InvalidOperationException("Database:ConnectionString is required for PostgreSQL.")
                : settings.ConnectionString,
        };
        services.AddSingleton(settings);
        services.AddSingleton(TogetherDbProviders.MessageSearch(settings.Provider));
        services.AddDbContextPool<TogetherDb>(options =>
        {
            TogetherDbProviders.Configure(options, settings.Provider, connectionString);
            // EF's check for two queries on one context at once sets an AsyncLocal on every row it
            // reads: ~6 % of the garbage of a history page. Each request has its own context and
            // awaits each query, which the test suites exercise on every route.
            options.EnableThreadSafetyChecks(false);
        }, poolSize: PooledContexts);
        services.AddHostedService<DatabaseMigrator>();
        services.AddHealthChecks().AddDbContextCheck<TogetherDb>("database", tags: ["ready"]);
        return services;
    }

    /// <summary>
    /// Brings the schema up to date before the server accepts requests: hosted services start
    /// before Kestrel listens.
    /// </summary>
    private sealed class DatabaseMigrator(IServiceScopeFactory scopes, DatabaseSettings settings, ILogger<DatabaseMigrator> logger) : IHostedService
    {
        public async Task StartAsync(CancellationToken cancellationToken)
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
            var applied = await TogetherDbProviders.MigrateAsync(db, cancellationToken);
            logger.LogInformation("Database ready ({Provider}); applied {Count} migration(s)", settings.Provider, applied.Count);
        }

        public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;
    }
}
