namespace Together.Data.Entities;

/// <summary>
/// Who is in which voice channel. A user is in at most one voice channel per guild.
/// <see cref="InstanceId"/> names the server process holding the media session, so states
/// left behind by a crashed process can be cleaned up on its next start.
/// </summary>
public sealed class VoiceState
{
    public long GuildId { get; set; }

    public long UserId { get; set; }

    public long ChannelId { get; set; }

    public Channel? Channel { get; set; }

    public required string SessionId { get; set; }

    public bool SelfMute { get; set; }

    public bool SelfDeaf { get; set; }

    public bool SelfVideo { get; set; }

    public bool SelfStream { get; set; }

    public bool Suppress { get; set; }

    public DateTimeOffset? RequestToSpeakTimestamp { get; set; }

    public required string InstanceId { get; set; }

    public DateTimeOffset UpdatedAt { get; set; }
}
