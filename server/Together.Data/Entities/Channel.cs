namespace Together.Data.Entities;

/// <summary>Discord channel types this product uses.</summary>
public enum ChannelType
{
    GuildText = 0,
    Dm = 1,
    GuildVoice = 2,
    GroupDm = 3,
    GuildCategory = 4,
}

public sealed class Channel
{
    public long Id { get; set; }

    /// <summary>Null for direct-message channels.</summary>
    public long? GuildId { get; set; }

    public Guild? Guild { get; set; }

    public ChannelType Type { get; set; }

    public string? Name { get; set; }

    public string? Topic { get; set; }

    public int Position { get; set; }

    /// <summary>The category this channel sits in.</summary>
    public long? ParentId { get; set; }

    public Channel? Parent { get; set; }

    public bool Nsfw { get; set; }

    /// <summary>Slowmode, in seconds between messages per member.</summary>
    public int RateLimitPerUser { get; set; }

    /// <summary>Voice bit rate in bits per second.</summary>
    public int? Bitrate { get; set; }

    public int? UserLimit { get; set; }

    public string? RtcRegion { get; set; }

    /// <summary>Maintained on send so unread markers need no scan of messages.</summary>
    public long? LastMessageId { get; set; }

    public DateTimeOffset? LastPinTimestamp { get; set; }

    public List<PermissionOverwrite> PermissionOverwrites { get; set; } = [];
}
