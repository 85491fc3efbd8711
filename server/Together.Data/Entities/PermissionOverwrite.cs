namespace Together.Data.Entities;

public enum OverwriteType
{
    Role = 0,
    Member = 1,
}

public sealed class PermissionOverwrite
{
    public long ChannelId { get; set; }

    public Channel? Channel { get; set; }

    /// <summary>A role id or a user id, by <see cref="Type"/>.</summary>
    public long TargetId { get; set; }

    public OverwriteType Type { get; set; }

    public long Allow { get; set; }

    public long Deny { get; set; }
}
