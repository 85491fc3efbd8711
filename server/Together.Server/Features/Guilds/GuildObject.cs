using System.Text.Json.Serialization;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Roles;

namespace Together.Server.Features.Guilds;

/// <summary>Discord's guild object, with the fields a self-hosted server has; the rest carry Discord's defaults.</summary>
public sealed record GuildObject(
    Snowflake Id,
    string Name,
    string? Icon,
    string? Description,
    string? Splash,
    string? DiscoverySplash,
    string? Banner,
    Snowflake OwnerId,
    Snowflake? AfkChannelId,
    int AfkTimeout,
    bool WidgetEnabled,
    int VerificationLevel,
    int DefaultMessageNotifications,
    int ExplicitContentFilter,
    IReadOnlyList<RoleObject> Roles,
    IReadOnlyList<object> Emojis,
    IReadOnlyList<string> Features,
    int MfaLevel,
    Snowflake? SystemChannelId,
    int SystemChannelFlags,
    Snowflake? RulesChannelId,
    Snowflake? PublicUpdatesChannelId,
    string? VanityUrlCode,
    int PremiumTier,
    int PremiumSubscriptionCount,
    string PreferredLocale,
    int NsfwLevel,
    IReadOnlyList<object> Stickers,
    bool PremiumProgressBarEnabled,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ApproximateMemberCount)
{
    public static GuildObject From(Guild guild, IEnumerable<Role> roles, int? memberCount = null)
    {
        ArgumentNullException.ThrowIfNull(guild);
        return new(guild.Id, guild.Name, guild.IconHash, guild.Description, null, null, null, guild.OwnerId,
            guild.AfkChannelId, guild.AfkTimeout, false, guild.VerificationLevel, guild.DefaultMessageNotifications,
            guild.ExplicitContentFilter, RoleObject.Ordered(roles).Select(RoleObject.From).ToList(), [], [], 0,
            guild.SystemChannelId, 0, null, null, null, 0, 0, guild.PreferredLocale ?? "en-US", 0, [], false, memberCount);
    }
}

/// <summary>An entry of <c>GET /users/@me/guilds</c>.</summary>
public sealed record PartialGuildObject(
    Snowflake Id,
    string Name,
    string? Icon,
    string? Banner,
    bool Owner,
    Permissions.Permissions Permissions,
    IReadOnlyList<string> Features,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ApproximateMemberCount);
