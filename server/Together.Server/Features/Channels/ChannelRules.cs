using Together.Data.Entities;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Channels;

/// <summary>Limits and normalisation for channel fields, as Discord applies them.</summary>
public static class ChannelRules
{
    public const int DefaultBitrate = 64_000;
    public const int MinBitrate = 8_000;
    // Opus carries far more, but beyond this a voice channel only burns upload bandwidth.
    public const int MaxBitrate = 384_000;
    public const int MaxChannelsPerGuild = 500;

    public static bool IsSupportedType(int type) =>
        type is (int)ChannelType.GuildText or (int)ChannelType.GuildVoice or (int)ChannelType.GuildCategory;

    /// <summary>Text channel names are lower-case with dashes for spaces, as Discord shows them.</summary>
    public static string NormalizeName(string name, ChannelType type)
    {
        ArgumentNullException.ThrowIfNull(name);
        var trimmed = name.Trim();
        if (type != ChannelType.GuildText)
            return trimmed;
        var dashed = string.Join('-', trimmed.ToLowerInvariant().Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries));
        return dashed;
    }

    /// <summary>No topic is null, never "": clients clear a topic either way.</summary>
    public static string? NormalizeTopic(string? topic) => string.IsNullOrWhiteSpace(topic) ? null : topic;

    public static void CheckName(string? name, FormErrors errors, bool required)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (name is null)
        {
            if (required)
                errors.Required("name");
            return;
        }
        var length = name.Trim().Length;
        if (length is < 1 or > 100)
            errors.Length("name", 1, 100);
        else if (name.Any(char.IsControl))
            errors.Add("name", "BASE_TYPE_INVALID", "Must not contain control characters.");
    }

    public static void CheckRange(string field, int? value, int min, int max, FormErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (value is { } v && (v < min || v > max))
            errors.Add(field, "NUMBER_TYPE_MAX", $"Must be between {min} and {max}.");
    }
}
