using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.TestSupport;

namespace Together.Data.Tests;

/// <summary>A fresh database of one provider, migrated, holding one user who owns one guild.</summary>
internal sealed class OwnedGuild : IAsyncDisposable
{
    private readonly TestDatabase _database;

    private OwnedGuild(TestDatabase database, TogetherDb db, User owner, Guild guild)
    {
        _database = database;
        Db = db;
        Owner = owner;
        Guild = guild;
    }

    public TogetherDb Db { get; }

    public SnowflakeGenerator Ids { get; } = new(TimeProvider.System, 0, 0);

    public User Owner { get; }

    public Guild Guild { get; }

    public static async Task<OwnedGuild> CreateAsync(DatabaseProvider provider, CancellationToken ct)
    {
        var database = await TestDatabase.CreateAsync(provider, empty: true);
        var db = database.OpenContext();
        await TogetherDbProviders.MigrateAsync(db, ct);
        var ids = new SnowflakeGenerator(TimeProvider.System, 0, 0);
        var owner = new User { Id = ids.Next(), Username = "owner", NormalizedUsername = "owner", PasswordHash = "x", CreatedAt = DateTimeOffset.UtcNow };
        var guild = new Guild { Id = ids.Next(), Name = "g", OwnerId = owner.Id, CreatedAt = DateTimeOffset.UtcNow };
        db.Users.Add(owner);
        db.Guilds.Add(guild);
        await db.SaveChangesAsync(ct);
        return new OwnedGuild(database, db, owner, guild);
    }

    public async ValueTask DisposeAsync()
    {
        await Db.DisposeAsync();
        await _database.DisposeAsync();
    }
}
