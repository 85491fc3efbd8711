namespace Together.Data.Entities;

public sealed class ReadState
{
    public long UserId { get; set; }

    public long ChannelId { get; set; }

    public Channel? Channel { get; set; }

    public long LastMessageId { get; set; }

    public int MentionCount { get; set; }

    public DateTimeOffset? LastPinTimestamp { get; set; }
}
