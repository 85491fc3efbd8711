using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Permissions;

/// <summary>A member of a guild as permission checks see them: their roles, rank and permissions.</summary>
public sealed class MemberAccess
{
    public MemberAccess(Guild guild, GuildMember member, IReadOnlyDictionary<long, Role> roles, bool timedOut)
    {
        ArgumentNullException.ThrowIfNull(guild);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(roles);
        Guild = guild;
        Member = member;
        Roles = roles;
        TimedOut = timedOut;
        RoleIds = member.Roles.Select(r => r.RoleId).Where(roles.ContainsKey).ToHashSet();
        HighestPosition = RoleIds.Select(id => roles[id].Position).DefaultIfEmpty(0).Max();
        Permissions = PermissionCalculator.ForGuild(
            IsOwner,
            roles.TryGetValue(guild.Id, out var everyone) ? (Permissions)everyone.Permissions : Permissions.None,
            RoleIds.Select(id => (Permissions)roles[id].Permissions),
            timedOut);
    }

    public Guild Guild { get; }

    public GuildMember Member { get; }

    public long UserId => Member.UserId;

    /// <summary>Every role of the guild, @everyone included (its id is the guild's).</summary>
    public IReadOnlyDictionary<long, Role> Roles { get; }

    /// <summary>The member's roles, @everyone not included.</summary>
    public IReadOnlySet<long> RoleIds { get; }

    public bool TimedOut { get; }

    public bool IsOwner => Guild.OwnerId == Member.UserId;

    public int HighestPosition { get; }

    /// <summary>Guild-level permissions.</summary>
    public Permissions Permissions { get; }

    public bool Has(Permissions needed) => (Permissions & needed) == needed;

    /// <summary>403 Missing Permissions unless the member holds every bit of <paramref name="needed"/>.</summary>
    public MemberAccess Require(Permissions needed) => Has(needed) ? this : throw ApiException.MissingPermissions();

    public Permissions In(Channel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return PermissionCalculator.ForChannel(Permissions, Guild.Id, UserId, RoleIds,
            channel.PermissionOverwrites.Select(o => new Overwrite(o.TargetId, o.Type, (Permissions)o.Allow, (Permissions)o.Deny)).ToList(),
            TimedOut);
    }

    /// <summary>In a channel: 403 Missing Access without VIEW_CHANNEL, Missing Permissions without the rest.</summary>
    public Permissions RequireIn(Channel channel, Permissions needed)
    {
        var permissions = In(channel);
        if ((permissions & Permissions.ViewChannel) == 0)
            throw ApiException.MissingAccess();
        return (permissions & needed) == needed ? permissions : throw ApiException.MissingPermissions();
    }

    /// <summary>Role hierarchy: only the owner, or someone whose highest role is above, may act on it.</summary>
    public bool Outranks(int position) => IsOwner || HighestPosition > position;

    /// <summary>Whether this member may moderate <paramref name="target"/> (kick, ban, time out, assign roles).</summary>
    public bool Outranks(MemberAccess target)
    {
        ArgumentNullException.ThrowIfNull(target);
        return !target.IsOwner && (IsOwner || HighestPosition > target.HighestPosition);
    }
}

/// <summary>Loads what permission checks need for one request.</summary>
public sealed class GuildAccess(TogetherDb db, TimeProvider time)
{
    /// <summary>The caller as a member of the guild: 404 Unknown Guild, or 403 Missing Access if not a member.</summary>
    public async Task<MemberAccess> MemberAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        // Every request passes here: the member, their user and the guild come in one round trip
        // (references are joins), the guild's roles in a second; the guild alone only on a miss.
        var member = await db.GuildMembers.Include(m => m.Roles).Include(m => m.User).Include(m => m.Guild)
            .SingleOrDefaultAsync(m => m.GuildId == guildId && m.UserId == userId, cancellationToken);
        if (member?.Guild is not { } guild)
            throw await db.Guilds.AnyAsync(g => g.Id == guildId, cancellationToken)
                ? ApiException.MissingAccess()
                : ApiException.NotFound(ApiErrors.UnknownGuild, "Unknown Guild");
        var roles = await db.Roles.Where(r => r.GuildId == guildId).ToDictionaryAsync(r => r.Id, cancellationToken);
        return Access(guild, member, roles);
    }

    /// <summary>Another member of the same guild (for hierarchy checks): 404 Unknown Member.</summary>
    public async Task<MemberAccess> OtherMemberAsync(MemberAccess caller, long userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(caller);
        return await LoadAsync(caller.Guild, userId, cancellationToken, caller.Roles)
            ?? throw ApiException.NotFound(ApiErrors.UnknownMember, "Unknown Member");
    }

    /// <summary>A guild channel the caller can see: 404 Unknown Channel, 403 Missing Access.</summary>
    public async Task<(Channel Channel, MemberAccess Member, Permissions Permissions)> ChannelAsync(
        long channelId, long userId, CancellationToken cancellationToken)
    {
        // Two round trips for every channel request: the channel with its overwrites, guild and
        // roles (one join on purpose, AsSingleQuery: overwrites × roles rows, both short lists),
        // then the member.
        var channel = await db.Channels.Include(c => c.PermissionOverwrites).Include(c => c.Guild!).ThenInclude(g => g.Roles)
            .AsSingleQuery()
            .SingleOrDefaultAsync(c => c.Id == channelId, cancellationToken);
        if (channel?.Guild is not { } guild)
            throw ApiException.NotFound(ApiErrors.UnknownChannel, "Unknown Channel");
        var member = await LoadAsync(guild, userId, cancellationToken, guild.Roles.ToDictionary(r => r.Id))
            ?? throw ApiException.MissingAccess();
        var permissions = member.In(channel);
        if ((permissions & Permissions.ViewChannel) == 0)
            throw ApiException.MissingAccess();
        return (channel, member, permissions);
    }

    private async Task<MemberAccess?> LoadAsync(Guild guild, long userId, CancellationToken cancellationToken,
        IReadOnlyDictionary<long, Role>? roles = null)
    {
        // With the user (a join, no extra round trip): a message sent needs its author.
        var member = await db.GuildMembers.Include(m => m.Roles).Include(m => m.User)
            .SingleOrDefaultAsync(m => m.GuildId == guild.Id && m.UserId == userId, cancellationToken);
        if (member is null)
            return null;
        roles ??= await db.Roles.Where(r => r.GuildId == guild.Id).ToDictionaryAsync(r => r.Id, cancellationToken);
        return Access(guild, member, roles);
    }

    private MemberAccess Access(Guild guild, GuildMember member, IReadOnlyDictionary<long, Role> roles) =>
        new(guild, member, roles, member.CommunicationDisabledUntil is { } until && until > time.GetUtcNow());
}
