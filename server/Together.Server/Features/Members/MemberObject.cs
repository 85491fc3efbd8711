using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Users;

namespace Together.Server.Features.Members;

/// <summary>Discord's guild member object.</summary>
public sealed record MemberObject(
    UserObject User,
    string? Nick,
    string? Avatar,
    IReadOnlyList<Snowflake> Roles,
    DateTimeOffset JoinedAt,
    DateTimeOffset? PremiumSince,
    bool Deaf,
    bool Mute,
    int Flags,
    bool Pending,
    DateTimeOffset? CommunicationDisabledUntil)
{
    /// <summary>From a member loaded with its user and role assignments.</summary>
    public static MemberObject From(GuildMember member, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(member);
        return From(member, UserObject.From(member.User ?? throw new InvalidOperationException("member loaded without user")), time);
    }

    /// <summary>From a member loaded with its role assignments, and its user as already known.</summary>
    public static MemberObject From(GuildMember member, UserObject user, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(time);
        var timeout = member.CommunicationDisabledUntil is { } until && until > time.GetUtcNow() ? until : (DateTimeOffset?)null;
        return new(user,
            member.Nick, member.AvatarHash,
            member.Roles.Select(r => new Snowflake(r.RoleId)).OrderBy(r => r.Value).ToList(),
            member.JoinedAt, null, member.Deaf, member.Mute, 0, false, timeout);
    }
}
