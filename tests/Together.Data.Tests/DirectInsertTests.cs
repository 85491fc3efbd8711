using Microsoft.EntityFrameworkCore;
using Together.Data.Entities;

namespace Together.Data.Tests;

public sealed class DirectInsertTests
{
    [Theory]
    [InlineData(DatabaseProvider.Postgres)]
    [InlineData(DatabaseProvider.Sqlite)]
    public async Task A_directly_inserted_message_reads_back_as_EF_wrote_it_with_every_column_set(DatabaseProvider provider)
    {
        var ct = TestContext.Current.CancellationToken;
        await using var world = await OwnedGuild.CreateAsync(provider, ct);
        var (db, ids, owner, guild) = (world.Db, world.Ids, world.Owner, world.Guild);
        var channel = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildText, Name = "c" };
        db.Channels.Add(channel);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        // Every property away from its default, so a column left out or mis-converted shows.
        var at = new DateTimeOffset(2026, 11, 26, 10, 30, 15, 123, TimeSpan.Zero);
        var message = new Message
        {
            Id = ids.Next(), ChannelId = channel.Id, GuildId = guild.Id, AuthorId = owner.Id, Type = 19, Content = "gg ünïcödé 🎮",
            EditedAt = at, DeletedAt = at.AddMinutes(1), ReferencedMessageId = 42, Pinned = true, Tts = true, MentionEveryone = true,
            MentionUserIds = [owner.Id, long.MaxValue], MentionRoleIds = [guild.Id], Flags = 4, Nonce = "n-1", EmbedsJson = """[{"title":"t"}]""",
        };
        var inModel = db.Model.FindEntityType(typeof(Message))!.GetProperties().Select(p => p.Name).Order().ToList();
        Assert.Equal(
            ["AuthorId", "ChannelId", "Content", "DeletedAt", "EditedAt", "EmbedsJson", "Flags", "GuildId", "Id", "MentionEveryone",
             "MentionRoleIds", "MentionUserIds", "Nonce", "Pinned", "ReferencedMessageId", "Tts", "Type"],
            inModel); // a new property: set it above too

        await db.InsertAsync(message, ct);

        Assert.Empty(db.ChangeTracker.Entries());
        var read = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == message.Id, ct);
        foreach (var property in typeof(Message).GetProperties().Where(p => inModel.Contains(p.Name)))
            Assert.Equal(property.GetValue(message), property.GetValue(read));
        // The database's own work still happens: the trigger moves the channel's last message.
        Assert.Equal(message.Id, await db.Channels.Where(c => c.Id == channel.Id).Select(c => c.LastMessageId).SingleAsync(ct));

        // Inside a transaction it is part of it.
        var rolledBack = new Message { Id = ids.Next(), ChannelId = channel.Id, GuildId = guild.Id, AuthorId = owner.Id, Content = "never" };
        await using (var transaction = await db.Database.BeginTransactionAsync(ct))
        {
            await db.InsertAsync(rolledBack, ct);
            await transaction.RollbackAsync(ct);
        }
        Assert.False(await db.Messages.AnyAsync(m => m.Id == rolledBack.Id, ct));
    }

    [Fact]
    public async Task A_guarded_insert_writes_every_column_when_its_condition_holds_and_nothing_when_not()
    {
        var ct = TestContext.Current.CancellationToken;
        await using var world = await OwnedGuild.CreateAsync(DatabaseProvider.Postgres, ct);
        var (db, ids, owner, guild) = (world.Db, world.Ids, world.Owner, world.Guild);
        var channel = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildText, Name = "c" };
        db.Channels.Add(channel);
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();
        const string OwnerIs = "EXISTS (SELECT 1 FROM guilds WHERE id = {0} AND owner_id = {1})";

        // Nulls too: an INSERT ... SELECT types its values from the parameters, not the columns.
        var sparse = new Message { Id = ids.Next(), ChannelId = channel.Id, GuildId = guild.Id, AuthorId = owner.Id, Content = "plain" };
        Assert.True(await db.InsertIfAsync(sparse, OwnerIs, [guild.Id, owner.Id], ct));
        var at = new DateTimeOffset(2026, 11, 26, 10, 30, 15, 123, TimeSpan.Zero);
        var full = new Message
        {
            Id = ids.Next(), ChannelId = channel.Id, GuildId = guild.Id, AuthorId = owner.Id, Type = 19, Content = "gg ünïcödé 🎮",
            EditedAt = at, DeletedAt = at.AddMinutes(1), ReferencedMessageId = 42, Pinned = true, Tts = true, MentionEveryone = true,
            MentionUserIds = [owner.Id, long.MaxValue], MentionRoleIds = [guild.Id], Flags = 4, Nonce = "n-1", EmbedsJson = """[{"title":"t"}]""",
        };
        Assert.True(await db.InsertIfAsync(full, OwnerIs, [guild.Id, owner.Id], ct));
        var refused = new Message { Id = ids.Next(), ChannelId = channel.Id, GuildId = guild.Id, AuthorId = owner.Id, Content = "not the owner" };
        Assert.False(await db.InsertIfAsync(refused, OwnerIs, [guild.Id, owner.Id + 1], ct));

        foreach (var message in new[] { sparse, full })
        {
            var read = await db.Messages.AsNoTracking().SingleAsync(m => m.Id == message.Id, ct);
            foreach (var property in typeof(Message).GetProperties().Where(p => db.Model.FindEntityType(typeof(Message))!.FindProperty(p.Name) is not null))
                Assert.Equal(property.GetValue(message), property.GetValue(read));
        }
        Assert.False(await db.Messages.AnyAsync(m => m.Id == refused.Id, ct));
        Assert.Equal(full.Id, await db.Channels.Where(c => c.Id == channel.Id).Select(c => c.LastMessageId).SingleAsync(ct));
    }
}
