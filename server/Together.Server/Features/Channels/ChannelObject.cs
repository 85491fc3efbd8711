using System.Text.Json.Serialization;
using Together.Data.Entities;
using Together.Data.Snowflakes;

namespace Together.Server.Features.Channels;

public sealed record OverwriteObject(Snowflake Id, int Type, Permissions.Permissions Allow, Permissions.Permissions Deny)
{
    public static OverwriteObject From(PermissionOverwrite overwrite)
    {
        ArgumentNullException.ThrowIfNull(overwrite);
        return new(overwrite.TargetId, (int)overwrite.Type, (Permissions.Permissions)overwrite.Allow, (Permissions.Permissions)overwrite.Deny);
    }
}

/// <summary>
/// Discord's channel object for guild channels; voice fields only on voice channels. <c>topic</c>
/// is always written, null when there is none (as Discord does), so a client that merges updates
/// into what it has sees a topic being cleared.
/// </summary>
public sealed record ChannelObject(
    Snowflake Id,
    int Type,
    Snowflake? GuildId,
    int Position,
    IReadOnlyList<OverwriteObject> PermissionOverwrites,
    string? Name,
    string? Topic,
    bool Nsfw,
    Snowflake? LastMessageId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Bitrate,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? UserLimit,
    int RateLimitPerUser,
    Snowflake? ParentId,
    DateTimeOffset? LastPinTimestamp,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? RtcRegion,
    int Flags)
{
    public static ChannelObject From(Channel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var voice = channel.Type == ChannelType.GuildVoice;
        return new(channel.Id, (int)channel.Type, channel.GuildId, channel.Position,
            channel.PermissionOverwrites.OrderBy(o => o.TargetId).Select(OverwriteObject.From).ToList(),
            channel.Name,
            channel.Type == ChannelType.GuildText ? channel.Topic : null,
            channel.Nsfw,
            channel.LastMessageId,
            voice ? channel.Bitrate ?? ChannelRules.DefaultBitrate : null,
            voice ? channel.UserLimit ?? 0 : null,
            channel.RateLimitPerUser,
            channel.ParentId,
            channel.LastPinTimestamp,
            voice ? channel.RtcRegion : null,
            0);
    }
}
