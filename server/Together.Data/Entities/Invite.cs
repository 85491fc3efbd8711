namespace Together.Data.Entities;

public sealed class Invite
{
    /// <summary>Random code from a CSPRNG; the primary key.</summary>
    public required string Code { get; set; }

    public long GuildId { get; set; }

    public Guild? Guild { get; set; }

    public long ChannelId { get; set; }

    public Channel? Channel { get; set; }

    public long? InviterId { get; set; }

    public User? Inviter { get; set; }

    /// <summary>Seconds; 0 means it never expires.</summary>
    public int MaxAge { get; set; }

    /// <summary>0 means unlimited.</summary>
    public int MaxUses { get; set; }

    public int Uses { get; set; }

    public bool Temporary { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset? ExpiresAt { get; set; }
}
