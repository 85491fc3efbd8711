using Together.Data.Entities;

namespace Together.Server.Features.Permissions;

/// <summary>One overwrite on a channel, as the calculator needs it.</summary>
public readonly record struct Overwrite(long TargetId, OverwriteType Type, Permissions Allow, Permissions Deny);

/// <summary>
/// Discord's permission algorithm, exactly
/// (https://discord.com/developers/docs/topics/permissions#permission-overwrites), as pure
/// functions. REST checks, gateway fan-out and voice all compute permissions here.
/// </summary>
public static class PermissionCalculator
{
    /// <summary>
    /// Guild-level permissions: @everyone's, OR-ed with each of the member's roles; owners and
    /// ADMINISTRATOR get everything.
    /// </summary>
    public static Permissions ForGuild(bool isOwner, Permissions everyone, IEnumerable<Permissions> memberRoles, bool timedOut = false)
    {
        ArgumentNullException.ThrowIfNull(memberRoles);
        if (isOwner)
            return PermissionSets.All;
        var permissions = everyone;
        foreach (var role in memberRoles)
            permissions |= role;
        if ((permissions & Permissions.Administrator) != 0)
            return PermissionSets.All;
        return timedOut ? permissions & PermissionSets.TimedOut : permissions;
    }

    /// <summary>
    /// Channel permissions from the guild-level ones: the @everyone overwrite, then all of the
    /// member's role overwrites together (denies, then allows), then the member's own overwrite.
    /// Then the implicit rules: without VIEW_CHANNEL nothing; without SEND_MESSAGES no mentions of
    /// everyone, TTS, files or embeds; without CONNECT no voice permissions. A timed-out member
    /// keeps only viewing and reading history.
    /// </summary>
    public static Permissions ForChannel(
        Permissions guildPermissions,
        long guildId,
        long memberId,
        IReadOnlySet<long> memberRoleIds,
        IReadOnlyList<Overwrite> overwrites,
        bool timedOut = false)
    {
        ArgumentNullException.ThrowIfNull(memberRoleIds);
        ArgumentNullException.ThrowIfNull(overwrites);
        if ((guildPermissions & Permissions.Administrator) != 0)
            return PermissionSets.All;

        var permissions = guildPermissions;
        Overwrite? everyone = null, member = null;
        Permissions roleAllow = 0, roleDeny = 0;
        // Indexed, not foreach over the interface: this runs per recipient of every event.
        for (var i = 0; i < overwrites.Count; i++)
        {
            var overwrite = overwrites[i];
            if (overwrite.Type == OverwriteType.Role && overwrite.TargetId == guildId)
                everyone = overwrite;
            else if (overwrite.Type == OverwriteType.Role && memberRoleIds.Contains(overwrite.TargetId))
            {
                roleAllow |= overwrite.Allow;
                roleDeny |= overwrite.Deny;
            }
            else if (overwrite.Type == OverwriteType.Member && overwrite.TargetId == memberId)
                member = overwrite;
        }
        if (everyone is { } e)
            permissions = (permissions & ~e.Deny) | e.Allow;
        permissions = (permissions & ~roleDeny) | roleAllow;
        if (member is { } m)
            permissions = (permissions & ~m.Deny) | m.Allow;

        // ADMINISTRATOR is a guild-level permission: an overwrite can neither grant nor take it.
        permissions = (permissions & ~Permissions.Administrator) | (guildPermissions & Permissions.Administrator);
        return ApplyImplicit(permissions, timedOut);
    }

    /// <summary>The implicit denials Discord applies after overwrites.</summary>
    public static Permissions ApplyImplicit(Permissions permissions, bool timedOut = false)
    {
        if (timedOut)
            permissions &= PermissionSets.TimedOut;
        if ((permissions & Permissions.ViewChannel) == 0)
            return Permissions.None;
        if ((permissions & Permissions.SendMessages) == 0)
            permissions &= ~PermissionSets.NeedSendMessages;
        if ((permissions & Permissions.Connect) == 0)
            permissions &= ~PermissionSets.Voice;
        return permissions;
    }
}
