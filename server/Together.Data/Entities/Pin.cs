namespace Together.Data.Entities;

public sealed class Pin
{
    public long ChannelId { get; set; }

    public long MessageId { get; set; }

    public Message? Message { get; set; }

    public long PinnedById { get; set; }

    public DateTimeOffset PinnedAt { get; set; }
}
