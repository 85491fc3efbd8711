namespace Together.Data.Entities;

public sealed class Attachment
{
    public long Id { get; set; }

    public long MessageId { get; set; }

    public Message? Message { get; set; }

    public long ChannelId { get; set; }

    /// <summary>The sanitised name shown to users; never used as a path.</summary>
    public required string Filename { get; set; }

    public string? Description { get; set; }

    /// <summary>Sniffed from the content, not the client's claim.</summary>
    public required string ContentType { get; set; }

    public long Size { get; set; }

    /// <summary>Content address (SHA-256 hex) of the stored blob.</summary>
    public required string StorageKey { get; set; }

    public int? Width { get; set; }

    public int? Height { get; set; }

    public bool Spoiler { get; set; }
}
