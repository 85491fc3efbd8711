using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Logging;
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

public sealed class FirstMigrationLogTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task Migrating_an_empty_database_logs_no_error(DatabaseProvider provider)
    {
        // A new admin's first start: nothing at error level in the log for a database that is
        // simply new (EF logged the history table's absence as a failed command on PostgreSQL).
        await using var database = await TestDatabase.CreateAsync(provider, empty: true);
        var errors = new List<string>();
        var options = new DbContextOptionsBuilder<TogetherDb>();
        TogetherDbProviders.Configure(options, provider, database.ConnectionString);
        options.LogTo(line => { lock (errors) errors.Add(line); }, LogLevel.Error);
        await using var db = new TogetherDb(options.Options);

        var applied = await TogetherDbProviders.MigrateAsync(db, TestContext.Current.CancellationToken);

        Assert.Equal(db.Database.GetMigrations(), applied);
        Assert.Empty(errors);
        Assert.Empty(await TogetherDbProviders.MigrateAsync(db, TestContext.Current.CancellationToken));
        Assert.Empty(errors);
    }
}

public sealed class PermissionsVersionTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task The_version_moves_with_roles_channels_and_overwrites_and_not_with_messages_or_pins(DatabaseProvider provider)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var world = await OwnedGuild.CreateAsync(provider, ct);
        var (db, ids, owner, guild) = (world.Db, world.Ids, world.Owner, world.Guild);
        var other = new Entities.Guild { Id = ids.Next(), Name = "other", OwnerId = owner.Id, CreatedAt = DateTimeOffset.UtcNow };
        db.Guilds.Add(other);
        await db.SaveChangesAsync(ct);

        async Task<long> Version() => await db.Guilds.Where(g => g.Id == guild.Id).Select(g => g.PermissionsVersion).SingleAsync(ct);
        async Task Moves(string what, Func<Task> change)
        {
            var before = await Version();
            await change();
            Assert.True(await Version() > before, $"{what} did not move the version");
        }

        var role = new Entities.Role { Id = ids.Next(), GuildId = guild.Id, Name = "r" };
        var channel = new Entities.Channel { Id = ids.Next(), GuildId = guild.Id, Type = Entities.ChannelType.GuildText, Name = "c" };
        await Moves("a new role", async () => { db.Roles.Add(role); await db.SaveChangesAsync(ct); });
        await Moves("a role's permissions", async () => { role.Permissions = 8; await db.SaveChangesAsync(ct); });
        await Moves("a new channel", async () => { db.Channels.Add(channel); await db.SaveChangesAsync(ct); });
        var overwrite = new Entities.PermissionOverwrite { ChannelId = channel.Id, TargetId = role.Id, Type = Entities.OverwriteType.Role, Deny = 0x400 };
        await Moves("a new overwrite", async () => { db.PermissionOverwrites.Add(overwrite); await db.SaveChangesAsync(ct); });
        await Moves("an overwrite's deny", async () => { overwrite.Deny = 0x800; await db.SaveChangesAsync(ct); });
        await Moves("an overwrite deleted", async () => { db.PermissionOverwrites.Remove(overwrite); await db.SaveChangesAsync(ct); });

        // Every channel column but the two that move with traffic: a column added to the model
        // without recreating the trigger fails here.
        var table = db.Model.FindEntityType(typeof(Entities.Channel))!;
        var columns = table.GetProperties().Where(p => !p.IsPrimaryKey()).Select(p => p.GetColumnName()).ToList();
        Assert.Contains("last_message_id", columns);
        foreach (var column in columns.Where(c => c is not ("last_message_id" or "last_pin_timestamp")))
#pragma warning disable EF1003 // The column names come from the model, not from input.
            await Moves($"channels.{column}", () => db.Database.ExecuteSqlRawAsync("UPDATE channels SET " + column + " = " + column + " WHERE id = {0}", [channel.Id], ct));
#pragma warning restore EF1003

        var before = await Version();
        db.Messages.Add(new Entities.Message { Id = ids.Next(), ChannelId = channel.Id, GuildId = guild.Id, AuthorId = owner.Id, Content = "hi" });
        await db.SaveChangesAsync(ct);
        await db.Database.ExecuteSqlAsync($"UPDATE channels SET last_pin_timestamp = last_pin_timestamp WHERE id = {channel.Id}", ct);
        Assert.Equal(before, await Version());
        Assert.NotNull(await db.Channels.Where(c => c.Id == channel.Id).Select(c => c.LastMessageId).SingleAsync(ct));

        // Saving a guild that EF loaded before a bump must not move the version back.
        var stale = await db.Guilds.AsNoTracking().SingleAsync(g => g.Id == guild.Id, ct);
        await Moves("a role deleted", async () => { db.Roles.Remove(role); await db.SaveChangesAsync(ct); });
        db.ChangeTracker.Clear();
        db.Guilds.Update(stale);
        stale.Name = "renamed";
        await db.SaveChangesAsync(ct);
        Assert.True(await Version() > stale.PermissionsVersion);
        Assert.Equal(0, await db.Guilds.Where(g => g.Id == other.Id).Select(g => g.PermissionsVersion).SingleAsync(ct));

        await Moves("a channel deleted", () => db.Channels.Where(c => c.Id == channel.Id).ExecuteDeleteAsync(ct));
    }
}
