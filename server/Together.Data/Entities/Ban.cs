namespace Together.Data.Entities;

public sealed class Ban
{
    public long GuildId { get; set; }

    public Guild? Guild { get; set; }

    public long UserId { get; set; }

    public User? User { get; set; }

    public string? Reason { get; set; }

    public long? ModeratorId { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
