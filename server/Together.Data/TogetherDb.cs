using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage.ValueConversion;
using Together.Data.Entities;

namespace Together.Data;

public sealed class TogetherDb(DbContextOptions<TogetherDb> options) : DbContext(options)
{
    public DbSet<User> Users => Set<User>();

    public DbSet<Session> Sessions => Set<Session>();

    public DbSet<Guild> Guilds => Set<Guild>();

    public DbSet<GuildMember> GuildMembers => Set<GuildMember>();

    public DbSet<Role> Roles => Set<Role>();

    public DbSet<MemberRole> MemberRoles => Set<MemberRole>();

    public DbSet<Channel> Channels => Set<Channel>();

    public DbSet<PermissionOverwrite> PermissionOverwrites => Set<PermissionOverwrite>();

    public DbSet<Message> Messages => Set<Message>();

    public DbSet<Attachment> Attachments => Set<Attachment>();

    public DbSet<Reaction> Reactions => Set<Reaction>();

    public DbSet<Pin> Pins => Set<Pin>();

    public DbSet<Invite> Invites => Set<Invite>();

    public DbSet<Ban> Bans => Set<Ban>();

    public DbSet<VoiceState> VoiceStates => Set<VoiceState>();

    public DbSet<ReadState> ReadStates => Set<ReadState>();

    public DbSet<AuditLogEntry> AuditLog => Set<AuditLogEntry>();

    protected override void OnModelCreating(ModelBuilder modelBuilder) =>
        modelBuilder.ApplyConfigurationsFromAssembly(typeof(TogetherDb).Assembly);

    protected override void ConfigureConventions(ModelConfigurationBuilder configurationBuilder)
    {
        ArgumentNullException.ThrowIfNull(configurationBuilder);
        // SQLite has no timestamp type, and EF cannot compare or order DateTimeOffset stored as
        // text there. UTC ticks keep comparisons and ORDER BY in SQL. PostgreSQL keeps timestamptz.
        if (Database.IsSqlite())
            configurationBuilder.Properties<DateTimeOffset>().HaveConversion<UtcTicksConverter>();
    }

    private sealed class UtcTicksConverter() : ValueConverter<DateTimeOffset, long>(
        value => value.UtcTicks,
        ticks => new DateTimeOffset(ticks, TimeSpan.Zero));
}
