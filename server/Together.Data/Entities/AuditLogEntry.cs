namespace Together.Data.Entities;

public sealed class AuditLogEntry
{
    /// <summary>The id carries the time of the action.</summary>
    public long Id { get; set; }

    public long GuildId { get; set; }

    public Guild? Guild { get; set; }

    /// <summary>Who did it.</summary>
    public long? UserId { get; set; }

    /// <summary>What it was done to: a user, role, channel, message... by <see cref="ActionType"/>.</summary>
    public long? TargetId { get; set; }

    /// <summary>Discord's audit log event number (e.g. 20 MEMBER_KICK, 22 MEMBER_BAN_ADD).</summary>
    public int ActionType { get; set; }

    /// <summary>Discord's <c>changes</c> array as JSON text.</summary>
    public string? ChangesJson { get; set; }

    /// <summary>Discord's <c>options</c> object as JSON text.</summary>
    public string? OptionsJson { get; set; }

    public string? Reason { get; set; }
}
