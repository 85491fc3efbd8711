namespace Together.Data.Entities;

public sealed class Guild
{
    public long Id { get; set; }

    public required string Name { get; set; }

    public string? IconHash { get; set; }

    public string? Description { get; set; }

    public long OwnerId { get; set; }

    public User? Owner { get; set; }

    /// <summary>Not a foreign key: channels belong to the guild, and the cycle would block deletes.</summary>
    public long? SystemChannelId { get; set; }

    public long? AfkChannelId { get; set; }

    public int AfkTimeout { get; set; } = 300;

    public int VerificationLevel { get; set; }

    public int DefaultMessageNotifications { get; set; }

    public int ExplicitContentFilter { get; set; }

    public string? PreferredLocale { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    /// <summary>
    /// Moves whenever a role, a channel (anything but its last message or pin time) or a permission
    /// overwrite of the guild changes: database triggers bump it in the same transaction as the
    /// change, so a cached copy of those rows is current exactly when its version is. Never written by EF.
    /// </summary>
    public long PermissionsVersion { get; set; }

    public List<Channel> Channels { get; set; } = [];

    public List<Role> Roles { get; set; } = [];

    public List<GuildMember> Members { get; set; } = [];
}
