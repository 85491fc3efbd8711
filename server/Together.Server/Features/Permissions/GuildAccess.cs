using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Storage;
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

/// <summary>
/// A guild's roles, and its channels with their overwrites, as of one <see cref="Guild.PermissionsVersion"/>:
/// shared by every request until the version moves, so nothing in it may be modified.
/// </summary>
public sealed record GuildPermissionSnapshot(long Version, IReadOnlyDictionary<long, Role> Roles, IReadOnlyDictionary<long, Channel> Channels);

/// <summary>
/// The PostgreSQL row versions (<c>xmin</c>) of a member's guild, member and user rows, and the
/// member's role ids, as they were when <see cref="GuildPermissionCache"/> kept a copy of them: a
/// write that checks these in its own statement knows the copy was current when it was made.
/// </summary>
public sealed record MemberStamp(long GuildRow, long MemberRow, long UserRow, long[] RoleIds);

/// <summary>A member, their user and guild (untracked, shared: never modify them) with the stamp they were read at.</summary>
public sealed record CachedMember(Guild Guild, GuildMember Member, MemberStamp Stamp);

/// <summary>A channel's access decided from memory: only good once the write's guard has held.</summary>
public sealed record CachedChannelAccess(Channel Channel, MemberAccess Member, Permissions Permissions, MemberStamp Stamp);

/// <summary>
/// Every channel request checks the caller's permissions against the guild's roles and the
/// channel's overwrites. Those rows change rarely (an admin's edit) and are read constantly (each
/// message sent, page read, typing notice), so they are kept here per guild. A copy is used only
/// while the guild's <c>permissions_version</c>, which database triggers move with every change to
/// them and which the membership query reads anyway, is the one the copy was loaded at: never stale,
/// on one instance or several, and a channel request is one round trip.
/// </summary>
public sealed class GuildPermissionCache
{
    // A few hundred bytes per channel and role: even thousands of guilds are a few MB.
    private const int MaxGuilds = 10_000;

    private readonly ConcurrentDictionary<long, GuildPermissionSnapshot> _guilds = new();
    private readonly ConcurrentDictionary<long, long> _channelGuilds = new();

    /// <summary>A copy at least as new as <paramref name="version"/> (a newer one is what a moment later would see).</summary>
    internal bool TryGet(long guildId, long version, [NotNullWhen(true)] out GuildPermissionSnapshot? snapshot)
    {
        if (_guilds.TryGetValue(guildId, out snapshot) && snapshot.Version >= version)
            return true;
        snapshot = null;
        return false;
    }

    internal void Store(long guildId, GuildPermissionSnapshot snapshot)
    {
        if (_guilds.Count >= MaxGuilds)
        {
            _guilds.Clear();
            _channelGuilds.Clear();
        }
        // A slower loader must not replace a newer copy with an older one.
        _guilds.AddOrUpdate(guildId, snapshot, (_, current) => current.Version > snapshot.Version ? current : snapshot);
        foreach (var channelId in snapshot.Channels.Keys)
            _channelGuilds[channelId] = guildId;
    }

    /// <summary>A channel's guild never changes, so this needs no version.</summary>
    internal bool TryGetGuildOf(long channelId, out long guildId) => _channelGuilds.TryGetValue(channelId, out guildId);

    // About a kilobyte each (the member, user and guild rows).
    private const int MaxMembers = 100_000;

    private readonly ConcurrentDictionary<(long GuildId, long UserId), CachedMember> _members = new();

    internal bool TryGetMember(long guildId, long userId, [NotNullWhen(true)] out CachedMember? member) =>
        _members.TryGetValue((guildId, userId), out member);

    internal void StoreMember(CachedMember member)
    {
        if (_members.Count >= MaxMembers)
            _members.Clear();
        _members[(member.Guild.Id, member.Member.UserId)] = member;
    }

    internal void ForgetMember(long guildId, long userId) => _members.TryRemove((guildId, userId), out _);

    internal void RememberGuildOf(long channelId, long guildId) => _channelGuilds[channelId] = guildId;
}

/// <summary>Loads what permission checks need for one request.</summary>
public sealed class GuildAccess(TogetherDb db, TimeProvider time, GuildPermissionCache cache)
{
    // The hot statement of every channel request. Untracked: callers of ChannelAsync do not
    // modify what it returns.
    private static readonly CompiledQuery<Func<TogetherDb, long, long, CancellationToken, Task<GuildMember?>>> MemberWithGuild = new(() =>
        EF.CompileAsyncQuery((TogetherDb db, long guildId, long userId, CancellationToken _) =>
            db.GuildMembers.AsNoTracking().Include(m => m.Roles).Include(m => m.User).Include(m => m.Guild)
                .SingleOrDefault(m => m.GuildId == guildId && m.UserId == userId)));

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

    /// <summary>
    /// A guild channel the caller can see: 404 Unknown Channel, 403 Missing Access. The channel,
    /// roles and member are shared or untracked copies: read them, never modify them (use
    /// <see cref="TrackedChannelAsync"/> to change the channel or guild), and the channel's
    /// <c>last_message_id</c> and <c>last_pin_timestamp</c> may lag.
    /// </summary>
    public async Task<(Channel Channel, MemberAccess Member, Permissions Permissions)> ChannelAsync(
        long channelId, long userId, CancellationToken cancellationToken)
    {
        var guildId = await GuildOfAsync(channelId, cancellationToken);
        var member = await MemberWithGuild.For(db)(db, guildId, userId, cancellationToken);
        if (member?.Guild is not { } guild)
            throw ApiException.MissingAccess();
        if (!cache.TryGet(guildId, guild.PermissionsVersion, out var snapshot))
        {
            snapshot = await LoadSnapshotAsync(guildId, cancellationToken);
            cache.Store(guildId, snapshot);
        }
        if (!snapshot.Channels.TryGetValue(channelId, out var channel))
            throw ApiException.NotFound(ApiErrors.UnknownChannel, "Unknown Channel");
        var access = Access(guild, member, snapshot.Roles);
        var permissions = access.In(channel);
        if ((permissions & Permissions.ViewChannel) == 0)
            throw ApiException.MissingAccess();
        return (channel, access, permissions);
    }

    /// <summary>
    /// The condition a message's INSERT checks when <see cref="CachedChannel"/> decided the
    /// access: the member, their user and guild rows are the versions the copy was read at (the
    /// guild's row moves with every change to roles, channels and overwrites, by trigger) and the
    /// member holds the same roles. <c>{0}</c>–<c>{5}</c>: <see cref="GuardValues"/>.
    /// </summary>
    public const string WriteGuard = """
        EXISTS (SELECT 1 FROM guild_members m JOIN guilds g ON g.id = m.guild_id JOIN users u ON u.id = m.user_id
        WHERE m.guild_id = {0} AND m.user_id = {1}
        AND g.xmin::text::bigint = {2} AND m.xmin::text::bigint = {3} AND u.xmin::text::bigint = {4}
        AND ARRAY(SELECT r.role_id FROM member_roles r WHERE r.guild_id = {0} AND r.user_id = {1} ORDER BY r.role_id) = {5})
        """;

    public static object[] GuardValues(CachedChannelAccess access)
    {
        ArgumentNullException.ThrowIfNull(access);
        var stamp = access.Stamp;
        return [access.Member.Guild.Id, access.Member.UserId, stamp.GuildRow, stamp.MemberRow, stamp.UserRow, stamp.RoleIds];
    }

    /// <summary>
    /// The caller's access to a channel from memory alone (PostgreSQL: no round trip), for a
    /// write that checks <see cref="WriteGuard"/> in its own statement and, when that fails, forgets
    /// the copy (<see cref="Forget"/>) and asks <see cref="ChannelForWriteAsync"/> instead. Null when
    /// nothing is kept, or when the copy would refuse: a refusal is always decided on fresh rows.
    /// </summary>
    public CachedChannelAccess? CachedChannel(long channelId, long userId)
    {
        if (!cache.TryGetGuildOf(channelId, out var guildId) || !cache.TryGetMember(guildId, userId, out var member)
            || !cache.TryGet(guildId, member.Guild.PermissionsVersion, out var snapshot) || snapshot.Version != member.Guild.PermissionsVersion
            || !snapshot.Channels.TryGetValue(channelId, out var channel))
            return null;
        var access = Access(member.Guild, member.Member, snapshot.Roles);
        var permissions = access.In(channel);
        return (permissions & Permissions.ViewChannel) == 0 ? null : new CachedChannelAccess(channel, access, permissions, member.Stamp);
    }

    public void Forget(long guildId, long userId) => cache.ForgetMember(guildId, userId);

    /// <summary>
    /// As <see cref="ChannelAsync"/>; on PostgreSQL the member is also kept with its stamp, for
    /// <see cref="CachedChannel"/> to answer the caller's next write. One more round trip.
    /// </summary>
    public async Task<(Channel Channel, MemberAccess Member, Permissions Permissions)> ChannelForWriteAsync(
        long channelId, long userId, CancellationToken cancellationToken)
    {
        if (!db.Database.IsNpgsql())
            return await ChannelAsync(channelId, userId, cancellationToken);
        var guildId = await GuildOfAsync(channelId, cancellationToken);
        // The stamp first: the rows read after it are at least that new, so a copy never passes
        // for newer than it is (at worst its guard fails once and it is read again).
        var stamp = await LoadStampAsync(guildId, userId, cancellationToken);
        var result = await ChannelAsync(channelId, userId, cancellationToken);
        if (stamp is not null)
            cache.StoreMember(new CachedMember(result.Member.Guild, result.Member.Member, stamp));
        return result;
    }

    /// <summary>The channel's guild (it never changes, so it is remembered): 404 Unknown Channel.</summary>
    private async Task<long> GuildOfAsync(long channelId, CancellationToken cancellationToken)
    {
        if (cache.TryGetGuildOf(channelId, out var guildId))
            return guildId;
        guildId = await db.Channels.Where(c => c.Id == channelId).Select(c => c.GuildId).SingleOrDefaultAsync(cancellationToken)
            ?? throw ApiException.NotFound(ApiErrors.UnknownChannel, "Unknown Channel");
        cache.RememberGuildOf(channelId, guildId);
        return guildId;
    }

    private async Task<MemberStamp?> LoadStampAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = """
                SELECT g.xmin::text::bigint, m.xmin::text::bigint, u.xmin::text::bigint,
                       ARRAY(SELECT r.role_id FROM member_roles r WHERE r.guild_id = m.guild_id AND r.user_id = m.user_id ORDER BY r.role_id)
                FROM guild_members m JOIN guilds g ON g.id = m.guild_id JOIN users u ON u.id = m.user_id
                WHERE m.guild_id = $1 AND m.user_id = $2
                """;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            foreach (var value in new[] { guildId, userId })
            {
                var parameter = command.CreateParameter();
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }
            await using var reader = await command.ExecuteReaderAsync(cancellationToken);
            if (!await reader.ReadAsync(cancellationToken))
                return null;
            return new MemberStamp(reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2), reader.GetFieldValue<long[]>(3));
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private async Task<GuildPermissionSnapshot> LoadSnapshotAsync(long guildId, CancellationToken cancellationToken)
    {
        // The version first: the rows read after it are at least that new, so a copy is never
        // labelled newer than it is (at worst older, and reloaded on the next request).
        var version = await db.Guilds.Where(g => g.Id == guildId).Select(g => g.PermissionsVersion).SingleAsync(cancellationToken);
        var channels = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites)
            .Where(c => c.GuildId == guildId).ToDictionaryAsync(c => c.Id, cancellationToken);
        var roles = await db.Roles.AsNoTracking().Where(r => r.GuildId == guildId).ToDictionaryAsync(r => r.Id, cancellationToken);
        return new GuildPermissionSnapshot(version, roles, channels);
    }

    /// <summary>
    /// As <see cref="ChannelAsync"/>, but the channel (with its overwrites), the guild and the
    /// member are tracked by this request's context and current: for routes that change them.
    /// </summary>
    public async Task<(Channel Channel, MemberAccess Member, Permissions Permissions)> TrackedChannelAsync(
        long channelId, long userId, CancellationToken cancellationToken)
    {
        // Two round trips: the channel with its overwrites, guild and roles (one join on purpose,
        // AsSingleQuery: overwrites × roles rows, both short lists), then the member.
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
