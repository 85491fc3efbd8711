namespace Together.Data.Entities;

public sealed class Reaction
{
    public long MessageId { get; set; }

    public Message? Message { get; set; }

    public long UserId { get; set; }

    /// <summary>The unicode emoji itself, or <c>name:id</c> for a custom emoji: one key for both.</summary>
    public required string EmojiKey { get; set; }

    public long? EmojiId { get; set; }

    public required string EmojiName { get; set; }

    public bool Burst { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
