using System.Text.Json.Serialization;
using Together.Data.Entities;
using Together.Data.Snowflakes;

namespace Together.Server.Features.Users;

/// <summary>Discord's user object, as others see it.</summary>
public sealed record UserObject(
    Snowflake Id,
    string Username,
    string Discriminator,
    string? GlobalName,
    string? Avatar,
    string? Banner,
    int? AccentColor,
    bool Bot,
    long PublicFlags)
{
    public static UserObject From(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(user.Id, user.Username, "0", user.GlobalName, user.AvatarHash, user.BannerHash, user.AccentColor, user.IsBot, user.Flags);
    }
}

/// <summary>Discord's user object for <c>/users/@me</c>: the public fields plus the private ones.</summary>
public sealed record CurrentUserObject(
    Snowflake Id,
    string Username,
    string Discriminator,
    string? GlobalName,
    string? Avatar,
    string? Banner,
    int? AccentColor,
    string? Bio,
    bool Bot,
    long PublicFlags,
    long Flags,
    [property: JsonPropertyName("email")] string? Email,
    bool Verified,
    bool MfaEnabled,
    string Locale,
    int PremiumType)
{
    public static CurrentUserObject From(User user)
    {
        ArgumentNullException.ThrowIfNull(user);
        return new(user.Id, user.Username, "0", user.GlobalName, user.AvatarHash, user.BannerHash, user.AccentColor,
            user.Bio, user.IsBot, user.Flags, user.Flags, user.Email, Verified: false, MfaEnabled: false, "en-US", PremiumType: 0);
    }
}
