using Microsoft.EntityFrameworkCore;
using Together.TestSupport;

namespace Together.Data.Tests;

public sealed class MigrationTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public void Each_providers_migrations_match_the_model(DatabaseProvider provider)
    {
        var options = new DbContextOptionsBuilder<TogetherDb>();
        TogetherDbProviders.Configure(options, provider,
            provider == DatabaseProvider.Postgres ? "Host=127.0.0.1;Database=unused" : "Data Source=:memory:");
        using var db = new TogetherDb(options.Options);

        // Fails when an entity changed and `scripts/add-migration.sh` was not run for this provider.
        Assert.False(db.Database.HasPendingModelChanges(),
            $"The model has changes that the {provider} migrations do not contain.");
    }

    [Fact]
    public void Both_providers_have_the_same_migrations_in_the_same_order()
    {
        static List<string> Names(DatabaseProvider provider)
        {
            var options = new DbContextOptionsBuilder<TogetherDb>();
            TogetherDbProviders.Configure(options, provider,
                provider == DatabaseProvider.Postgres ? "Host=127.0.0.1;Database=unused" : "Data Source=:memory:");
            using var db = new TogetherDb(options.Options);
            // Ids are "<timestamp>_<Name>"; the timestamps differ between providers, the names must not.
            return db.Database.GetMigrations().Select(id => id[(id.IndexOf('_', StringComparison.Ordinal) + 1)..]).ToList();
        }

        var postgres = Names(DatabaseProvider.Postgres);
        Assert.NotEmpty(postgres);
        Assert.Equal(postgres, Names(DatabaseProvider.Sqlite));
    }

    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Migrations_build_an_empty_database_that_round_trips_every_entity(DatabaseProvider provider)
    {
        await using var database = await TestDatabase.CreateAsync(provider, empty: true);
        await using var db = database.OpenContext();

        await TogetherDbProviders.MigrateAsync(db, TestContext.Current.CancellationToken);

        Assert.Empty(await db.Database.GetPendingMigrationsAsync(TestContext.Current.CancellationToken));
        await SchemaSmoke.WriteAndReadEverythingAsync(db, TestContext.Current.CancellationToken);
    }
}
