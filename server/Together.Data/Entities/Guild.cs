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

    public List<Channel> Channels { get; set; } = [];

    public List<Role> Roles { get; set; } = [];

    public List<GuildMember> Members { get; set; } = [];
}
