using System.Globalization;
using System.Text.RegularExpressions;

namespace Together.Server.Features.Messages;

/// <summary>What a message's content mentions, in Discord's markup.</summary>
public sealed record ParsedMentions(IReadOnlyList<long> UserIds, IReadOnlyList<long> RoleIds, bool Everyone);

public static partial class Mentions
{
    // <@123> and the legacy nickname form <@!123>; <@&456> for roles.
    [GeneratedRegex(@"<@!?(\d{1,19})>", RegexOptions.CultureInvariant)]
    private static partial Regex UserMention();

    [GeneratedRegex(@"<@&(\d{1,19})>", RegexOptions.CultureInvariant)]
    private static partial Regex RoleMention();

    [GeneratedRegex(@"@(everyone|here)\b", RegexOptions.CultureInvariant)]
    private static partial Regex EveryoneMention();

    public static ParsedMentions Parse(string content)
    {
        ArgumentNullException.ThrowIfNull(content);
        static List<long> Ids(Regex regex, string text) => regex.Matches(text)
            .Select(m => long.TryParse(m.Groups[1].ValueSpan, NumberStyles.None, CultureInfo.InvariantCulture, out var id) ? id : -1)
            .Where(id => id > 0).Distinct().Take(100).ToList();
        return new ParsedMentions(Ids(UserMention(), content), Ids(RoleMention(), content), EveryoneMention().IsMatch(content));
    }
}
