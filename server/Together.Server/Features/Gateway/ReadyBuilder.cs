using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Channels;
using Together.Server.Features.Guilds;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Features.Users;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Gateway;

/// <summary>READY's <c>d</c>: the guilds are announced unavailable and follow as GUILD_CREATEs.</summary>
public sealed record ReadyPayload(
    int V,
    CurrentUserObject User,
    IReadOnlyList<UnavailableGuild> Guilds,
    string SessionId,
    string SessionType,
    string ResumeGatewayUrl,
    ReadyApplication Application,
    IReadOnlyList<object> PrivateChannels,
    IReadOnlyList<object> Relationships,
    IReadOnlyList<object> Presences,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<int>? Shard);

public sealed record ReadyApplication(Snowflake Id, int Flags);

/// <summary>Builds READY and the GUILD_CREATE that follows for each of the user's guilds.</summary>
public sealed class ReadyBuilder(TogetherDb db, GuildStates states, PresenceTracker presence, TimeProvider time)
{
    public async Task<List<long>> GuildIdsAsync(long userId, CancellationToken cancellationToken) =>
        await db.GuildMembers.AsNoTracking().Where(m => m.UserId == userId).OrderBy(m => m.GuildId)
            .Select(m => m.GuildId).ToListAsync(cancellationToken);

    public async Task<byte[]?> ReadyAsync(GatewaySession session, IReadOnlyList<long> guildIds, string resumeUrl, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == session.UserId && u.DeletedAt == null, cancellationToken);
        if (user is null)
            return null;
        var ready = new ReadyPayload(10, CurrentUserObject.From(user),
            guildIds.Select(id => new UnavailableGuild(new Snowflake(id), true)).ToList(),
            session.Id, "normal", resumeUrl, new ReadyApplication(new Snowflake(user.Id), 0), [], [], [],
            session.ShardCount > 1 ? [session.ShardId, session.ShardCount] : null);
        return Events.Serialize(ready);
    }

    /// <summary>
    /// A guild as the member sees it: the channels they can view, every role, the members (all of
    /// them up to <paramref name="largeThreshold"/>, else only themselves; op 8 asks for the rest),
    /// the online members' presences and the voice states. As on Discord, without GUILD_PRESENCES
    /// the members are only the user and those in voice channels, and there are no presences.
    /// </summary>
    public async Task<byte[]?> GuildCreateAsync(long guildId, long userId, int largeThreshold, Intents intents, CancellationToken cancellationToken)
    {
        var withPresences = (intents & Intents.GuildPresences) != 0;
        var guild = await db.Guilds.AsNoTracking().SingleOrDefaultAsync(g => g.Id == guildId, cancellationToken);
        if (guild is null)
            return null;
        var state = await states.GetOrLoadAsync(guildId, cancellationToken);
        var roles = await db.Roles.AsNoTracking().Where(r => r.GuildId == guildId).ToListAsync(cancellationToken);
        var channels = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites).Where(c => c.GuildId == guildId).ToListAsync(cancellationToken);
        var memberCount = await db.GuildMembers.CountAsync(m => m.GuildId == guildId, cancellationToken);
        var large = memberCount > largeThreshold;
        var voiceStates = await db.VoiceStates.AsNoTracking().Where(v => v.GuildId == guildId).ToListAsync(cancellationToken);
        var voiceUsers = voiceStates.Select(v => v.UserId).ToList();
        var membersQuery = db.GuildMembers.AsNoTracking().Include(m => m.User).Include(m => m.Roles).Where(m => m.GuildId == guildId);
        var members = large || !withPresences
            ? await membersQuery.Where(m => m.UserId == userId || (!large && voiceUsers.Contains(m.UserId))).OrderBy(m => m.UserId).ToListAsync(cancellationToken)
            : await membersQuery.OrderBy(m => m.UserId).ToListAsync(cancellationToken);
        var me = members.SingleOrDefault(m => m.UserId == userId);
        if (me is null)
            return null;
        // Server mute and deafen live on the member: whoever connects later must see them too.
        var moderated = await db.GuildMembers.AsNoTracking().Where(m => m.GuildId == guildId && voiceUsers.Contains(m.UserId))
            .Select(m => new { m.UserId, m.Deaf, m.Mute }).ToDictionaryAsync(m => m.UserId, cancellationToken);

        var visible = channels
            .Where(c => (state.PermissionsIn(userId, c.Id) & P.ViewChannel) != 0)
            .OrderBy(c => c.Position).ThenBy(c => c.Id)
            .Select(ChannelObject.From).ToList();
        var presences = withPresences
            ? members.Select(m => presence.For(m.UserId, null)).Where(p => p.Status != "offline").ToList()
            : [];
        var voice = voiceStates.Select(v => new
        {
            guild_id = v.GuildId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            channel_id = v.ChannelId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            user_id = v.UserId.ToString(System.Globalization.CultureInfo.InvariantCulture),
            session_id = v.SessionId,
            deaf = moderated.TryGetValue(v.UserId, out var d) && d.Deaf,
            mute = moderated.TryGetValue(v.UserId, out var m) && m.Mute,
            self_deaf = v.SelfDeaf,
            self_mute = v.SelfMute,
            self_video = v.SelfVideo,
            suppress = v.Suppress,
        }).ToList();
        // Written in one pass into a pooled buffer: with every member listed (up to 250) the payload
        // is ~100 KB, and a DOM of it cost several arrays that size on the large-object heap.
        return GatewayJson.ObjectWith(GuildObject.From(guild, roles, memberCount),
            ("joined_at", me.JoinedAt),
            ("large", large),
            ("unavailable", false),
            ("member_count", memberCount),
            ("channels", visible),
            ("members", members.Select(m => MemberObject.From(m, time)).ToList()),
            ("presences", presences),
            ("voice_states", voice),
            ("threads", Array.Empty<object>()),
            ("stage_instances", Array.Empty<object>()),
            ("guild_scheduled_events", Array.Empty<object>()),
            ("soundboard_sounds", Array.Empty<object>()));
    }

    /// <summary>
    /// The GUILD_CREATE a user gets on joining or creating a guild. The cached state learns of
    /// the new member first, so the channel list is computed with their permissions.
    /// </summary>
    public async Task<GatewayEvent?> JoinedAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        if (states.TryGet(guildId, out _))
            await states.ReloadMemberAsync(guildId, userId, cancellationToken);
        // One payload for all the user's sessions, whatever their intents: the full one.
        var payload = await GuildCreateAsync(guildId, userId, 250, Intents.GuildPresences, cancellationToken);
        return payload is null ? null : GuildEvents.GuildCreateFor(guildId, userId, payload);
    }

    /// <summary>Members for op 8: by name prefix or ids, up to <paramref name="limit"/> (0 = all).</summary>
    public async Task<List<GuildMember>> MembersAsync(long guildId, string? query, IReadOnlyList<long>? userIds, int limit, CancellationToken cancellationToken)
    {
        var members = db.GuildMembers.AsNoTracking().Include(m => m.User).Include(m => m.Roles).Where(m => m.GuildId == guildId);
        if (userIds is { Count: > 0 })
            members = members.Where(m => userIds.Contains(m.UserId));
        else if (!string.IsNullOrEmpty(query))
        {
            var prefix = query.ToLowerInvariant();
#pragma warning disable CA1862 // EF Core translates ToLower()/StartsWith to SQL; the StringComparison overload does not translate.
            members = members.Where(m => m.User!.NormalizedUsername.StartsWith(prefix) || (m.Nick != null && m.Nick.ToLower().StartsWith(prefix)));
#pragma warning restore CA1862
        }
        members = members.OrderBy(m => m.UserId);
        if (limit > 0)
            members = members.Take(limit);
        return await members.ToListAsync(cancellationToken);
    }
}
