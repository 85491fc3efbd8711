using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Server.Features.Permissions;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Gateway;

/// <summary>
/// What fan-out needs to decide, per recipient, whether they may see an event: the guild's owner,
/// roles, channels with overwrites, and each member's roles and timeout. Loaded from the database
/// when the first session of the guild connects; refreshed by the dispatcher when an event says
/// that roles, channels or a member changed (after the change committed).
/// </summary>
public sealed class GuildState
{
    public required long GuildId { get; init; }

    public required long OwnerId { get; set; }

    public required Dictionary<long, (P Permissions, int Position)> Roles { get; set; }

    public required Dictionary<long, ChannelPermissionData> Channels { get; set; }

    public required ConcurrentDictionary<long, MemberData> Members { get; init; }

    public required TimeProvider Time { get; init; }

    public bool IsMember(long userId) => Members.ContainsKey(userId);

    public P PermissionsOf(long userId) =>
        Members.TryGetValue(userId, out var member) ? GuildPermissions(userId, member, TimedOut(member)) : P.None;

    public P PermissionsIn(long userId, long channelId)
    {
        if (!Members.TryGetValue(userId, out var member) || !Channels.TryGetValue(channelId, out var channel))
            return P.None;
        var timedOut = TimedOut(member);
        return PermissionCalculator.ForChannel(GuildPermissions(userId, member, timedOut), GuildId, userId, member.RoleIds,
            channel.Overwrites, timedOut);
    }

    private bool TimedOut(MemberData member) => member.TimedOutUntil is { } until && until > Time.GetUtcNow();

    // The same as PermissionCalculator.ForGuild, without allocating: it runs per recipient of every event.
    private P GuildPermissions(long userId, MemberData member, bool timedOut)
    {
        if (userId == OwnerId)
            return PermissionSets.All;
        var permissions = Roles.TryGetValue(GuildId, out var everyone) ? everyone.Permissions : P.None;
        foreach (var roleId in member.RoleIds)
            if (Roles.TryGetValue(roleId, out var role))
                permissions |= role.Permissions;
        if ((permissions & P.Administrator) != 0)
            return PermissionSets.All;
        return timedOut ? permissions & PermissionSets.TimedOut : permissions;
    }
}

public sealed record ChannelPermissionData(ChannelType Type, IReadOnlyList<Overwrite> Overwrites);

public sealed record MemberData(HashSet<long> RoleIds, DateTimeOffset? TimedOutUntil);

public sealed class GuildStates(IServiceScopeFactory scopes, TimeProvider time)
{
    private readonly ConcurrentDictionary<long, GuildState> _guilds = new();
    private readonly ConcurrentDictionary<long, SemaphoreSlim> _loading = new();
    private readonly ConcurrentDictionary<long, int> _generations = new();

    public bool TryGet(long guildId, [MaybeNullWhen(false)] out GuildState state) => _guilds.TryGetValue(guildId, out state);

    public bool IsMember(long guildId, long userId) => _guilds.TryGetValue(guildId, out var state) && state.IsMember(userId);

    public void Forget(long guildId)
    {
        Invalidate(guildId);
        _guilds.TryRemove(guildId, out _);
    }

    /// <summary>Drops every cached guild (events may have been missed): each is read afresh when next needed.</summary>
    public void Clear()
    {
        foreach (var guildId in _guilds.Keys)
            Forget(guildId);
    }

    /// <summary>The loaded guilds the user belongs to: everyone who could see them online.</summary>
    public IEnumerable<long> GuildsOfMember(long userId) =>
        _guilds.Values.Where(g => g.IsMember(userId)).Select(g => g.GuildId);

    /// <summary>
    /// The guild's state, loading it once when no session of it was connected yet. A change that
    /// commits while the load is reading finds nothing cached to reload: it bumps the guild's
    /// generation instead, and a load that sees the generation moved reads again, so the snapshot
    /// stored never predates a change already announced.
    /// </summary>
    public async Task<GuildState> GetOrLoadAsync(long guildId, CancellationToken cancellationToken)
    {
        if (_guilds.TryGetValue(guildId, out var state))
            return state;
        var gate = _loading.GetOrAdd(guildId, _ => new SemaphoreSlim(1, 1));
        await gate.WaitAsync(cancellationToken);
        try
        {
            if (_guilds.TryGetValue(guildId, out state))
                return state;
            while (true)
            {
                var generation = GenerationOf(guildId);
                state = await LoadAsync(guildId, cancellationToken);
                if (LoadedForTests is { } loaded)
                    await loaded(guildId);
                if (GenerationOf(guildId) == generation)
                    break;
            }
            if (state is not null)
                _guilds[guildId] = state;
            return state ?? throw new InvalidOperationException($"guild {guildId} does not exist");
        }
        finally
        {
            gate.Release();
        }
    }

    /// <summary>Runs between a load's reads and its check of the generation (tests change the guild there).</summary>
    internal Func<long, Task>? LoadedForTests { get; set; }

    internal int GenerationOf(long guildId) => _generations.GetValueOrDefault(guildId);

    /// <summary>Called before any reload or removal: a load in progress must not store what it read.</summary>
    private void Invalidate(long guildId) => _generations.AddOrUpdate(guildId, 1, static (_, generation) => generation + 1);

    /// <summary>Re-reads roles, channels and members (roles or overwrites changed).</summary>
    public async Task ReloadAsync(long guildId, CancellationToken cancellationToken)
    {
        Invalidate(guildId);
        if (!_guilds.ContainsKey(guildId))
            return;
        var fresh = await LoadAsync(guildId, cancellationToken);
        if (fresh is null)
            _guilds.TryRemove(guildId, out _);
        else
            _guilds[guildId] = fresh;
    }

    /// <summary>Re-reads one member (joined, left, roles or timeout changed).</summary>
    public async Task ReloadMemberAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        Invalidate(guildId);
        if (!_guilds.TryGetValue(guildId, out var state))
            return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var member = await db.GuildMembers.AsNoTracking().Where(m => m.GuildId == guildId && m.UserId == userId)
            .Select(m => new { m.CommunicationDisabledUntil, Roles = m.Roles.Select(r => r.RoleId).ToList() })
            .SingleOrDefaultAsync(cancellationToken);
        if (member is null)
            state.Members.TryRemove(userId, out _);
        else
            state.Members[userId] = new MemberData(member.Roles.ToHashSet(), member.CommunicationDisabledUntil);
        // The owner may have changed hands with the same event.
        state.OwnerId = await db.Guilds.Where(g => g.Id == guildId).Select(g => g.OwnerId).SingleOrDefaultAsync(cancellationToken);
    }

    private async Task<GuildState?> LoadAsync(long guildId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var guild = await db.Guilds.AsNoTracking().Where(g => g.Id == guildId).Select(g => new { g.OwnerId }).SingleOrDefaultAsync(cancellationToken);
        if (guild is null)
            return null;
        var roles = await db.Roles.AsNoTracking().Where(r => r.GuildId == guildId)
            .ToDictionaryAsync(r => r.Id, r => ((P)r.Permissions, r.Position), cancellationToken);
        var channels = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites).Where(c => c.GuildId == guildId)
            .ToListAsync(cancellationToken);
        var memberRoles = await db.MemberRoles.AsNoTracking().Where(mr => mr.GuildId == guildId)
            .Select(mr => new { mr.UserId, mr.RoleId }).ToListAsync(cancellationToken);
        var members = await db.GuildMembers.AsNoTracking().Where(m => m.GuildId == guildId)
            .Select(m => new { m.UserId, m.CommunicationDisabledUntil }).ToListAsync(cancellationToken);
        var rolesByMember = memberRoles.ToLookup(mr => mr.UserId, mr => mr.RoleId);
        return new GuildState
        {
            GuildId = guildId,
            Time = time,
            OwnerId = guild.OwnerId,
            Roles = roles,
            Channels = channels.ToDictionary(c => c.Id, c => new ChannelPermissionData(c.Type,
                c.PermissionOverwrites.Select(o => new Overwrite(o.TargetId, o.Type, (P)o.Allow, (P)o.Deny)).ToList())),
            Members = new ConcurrentDictionary<long, MemberData>(members.ToDictionary(
                m => m.UserId, m => new MemberData(rolesByMember[m.UserId].ToHashSet(), m.CommunicationDisabledUntil))),
        };
    }
}
