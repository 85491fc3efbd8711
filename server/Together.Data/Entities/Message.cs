namespace Together.Data.Entities;

public sealed class Message
{
    /// <summary>The id carries the creation time, as on Discord; there is no separate column.</summary>
    public long Id { get; set; }

    public long ChannelId { get; set; }

    public Channel? Channel { get; set; }

    /// <summary>Denormalised from the channel: guild-wide search and deletes need no join.</summary>
    public long? GuildId { get; set; }

    public long AuthorId { get; set; }

    public User? Author { get; set; }

    /// <summary>Discord message type (0 default, 19 reply, 7 member join, ...).</summary>
    public int Type { get; set; }

    public string Content { get; set; } = "";

    public DateTimeOffset? EditedAt { get; set; }

    /// <summary>Soft delete: the row stays for moderation and replies; the content is cleared.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    /// <summary>The message this one replies to; not a foreign key, the target may be gone.</summary>
    public long? ReferencedMessageId { get; set; }

    public bool Pinned { get; set; }

    public bool Tts { get; set; }

    public bool MentionEveryone { get; set; }

    /// <summary>User ids mentioned in the content, for mention counts and search.</summary>
    public long[] MentionUserIds { get; set; } = [];

    public long[] MentionRoleIds { get; set; } = [];

    public int Flags { get; set; }

    /// <summary>
    /// The client's nonce, kept so a retried send (Discord's <c>enforce_nonce</c>) returns the
    /// message it already created instead of posting it twice.
    /// </summary>
    public string? Nonce { get; set; }

    /// <summary>Embeds as Discord JSON, stored as text.</summary>
    public string? EmbedsJson { get; set; }

    public List<Attachment> Attachments { get; set; } = [];

    public List<Reaction> Reactions { get; set; } = [];
}
