using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Gateway;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Features.Users;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Voice;

/// <summary>Discord's voice state object.</summary>
public sealed record VoiceStateObject(
    Snowflake GuildId,
    Snowflake? ChannelId,
    Snowflake UserId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MemberObject? Member,
    string SessionId,
    bool Deaf,
    bool Mute,
    bool SelfDeaf,
    bool SelfMute,
    bool SelfVideo,
    bool Suppress,
    DateTimeOffset? RequestToSpeakTimestamp)
{
    public static VoiceStateObject From(VoiceState state, GuildMember? member, MemberObject? memberObject = null)
    {
        ArgumentNullException.ThrowIfNull(state);
        return new(state.GuildId, state.ChannelId, state.UserId, memberObject, state.SessionId,
            member?.Deaf ?? false, member?.Mute ?? false, state.SelfDeaf, state.SelfMute, state.SelfVideo, state.Suppress, state.RequestToSpeakTimestamp);
    }
}

public sealed record VoiceStateUpdatePayload(JsonElement GuildId, JsonElement ChannelId, bool? SelfMute, bool? SelfDeaf);

/// <summary>Names this server process in voice_states rows, so a restart can clear what a crash left behind.</summary>
public sealed class VoiceInstance(IConfiguration configuration)
{
    /// <summary>
    /// The snowflake worker id, unique per database by configuration already. Not the host name:
    /// a recreated container gets a new one, and the states its predecessor left would never be
    /// cleared.
    /// </summary>
    public string Id { get; } = $"worker-{configuration.GetValue("Snowflake:WorkerId", 0)}";
}

/// <summary>
/// Who is in which voice channel, kept true in the voice_states table: joins, moves and leaves
/// (op 4), sessions that end, members who leave or are removed, and states left by a crash
/// (cleared when this instance starts again).
/// </summary>
public sealed class VoiceStateService(IServiceScopeFactory scopes, IEventBus events, VoiceSfu sfu, VoiceInstance instance, TimeProvider time, ILogger<VoiceStateService> logger)
{
    /// <summary>Op 4: join or move to <paramref name="channelId"/>, or leave when it is null.</summary>
    public async Task<bool> UpdateAsync(GatewaySession session, long guildId, long? channelId, bool selfMute, bool selfDeaf, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (channelId is not null)
            session.MayHoldVoiceState = true;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var access = scope.ServiceProvider.GetRequiredService<GuildAccess>();
        MemberAccess member;
        try
        {
            member = await access.MemberAsync(guildId, session.UserId, cancellationToken);
        }
        catch (Infrastructure.ApiException)
        {
            return false;
        }
        var existing = await db.VoiceStates.SingleOrDefaultAsync(v => v.GuildId == guildId && v.UserId == session.UserId, cancellationToken);
        if (channelId is not { } target)
        {
            if (existing is null)
                return true;
            db.VoiceStates.Remove(existing);
            await db.SaveChangesAsync(cancellationToken);
            sfu.Leave(guildId, session.UserId);
            existing.ChannelId = 0;
            await PublishAsync(db, existing, member, left: true, cancellationToken);
            return true;
        }
        var channel = await db.Channels.Include(c => c.PermissionOverwrites)
            .SingleOrDefaultAsync(c => c.Id == target && c.GuildId == guildId && c.Type == ChannelType.GuildVoice, cancellationToken);
        if (channel is null)
            return false;
        var permissions = member.In(channel);
        if ((permissions & (P.ViewChannel | P.Connect)) != (P.ViewChannel | P.Connect))
            return false;
        if (existing?.ChannelId != target && channel.UserLimit is > 0 and var limit && (permissions & P.MoveMembers) == 0
            && await db.VoiceStates.CountAsync(v => v.ChannelId == target, cancellationToken) >= limit)
            return false;
        if (existing is null)
        {
            existing = new VoiceState { GuildId = guildId, UserId = session.UserId, ChannelId = target, SessionId = session.Id, InstanceId = instance.Id };
            db.VoiceStates.Add(existing);
        }
        existing.ChannelId = target;
        existing.SessionId = session.Id;
        existing.InstanceId = instance.Id;
        existing.SelfMute = selfMute;
        existing.SelfDeaf = selfDeaf;
        existing.UpdatedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        // Without SPEAK, or server-muted, nothing is forwarded from this member.
        sfu.Join(session, guildId, target, Flags(existing, member.Member, permissions), channel.Bitrate ?? Channels.ChannelRules.DefaultBitrate);
        await PublishAsync(db, existing, member, left: false, cancellationToken);
        return true;
    }

    /// <summary>Without SPEAK, or server-muted, nothing is forwarded from this member; deafen implies mute.</summary>
    private static VoiceFlags Flags(VoiceState state, GuildMember member, P permissions) => new(
        state.SelfMute || member.Mute || (permissions & P.Speak) == 0,
        state.SelfDeaf || member.Deaf);

    /// <summary>
    /// A member's server mute, deafen, timeout or roles changed: what the SFU forwards follows at
    /// once, and the guild sees the new voice state.
    /// </summary>
    public async Task RefreshAsync(long guildId, long userId, CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var state = await db.VoiceStates.AsNoTracking().SingleOrDefaultAsync(v => v.GuildId == guildId && v.UserId == userId, cancellationToken);
        if (state is null)
            return;
        var member = await scope.ServiceProvider.GetRequiredService<GuildAccess>().MemberAsync(guildId, userId, cancellationToken);
        var channel = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites).SingleAsync(c => c.Id == state.ChannelId, cancellationToken);
        sfu.UpdateFlags(guildId, userId, Flags(state, member.Member, member.In(channel)));
        await PublishAsync(db, state, member, left: false, cancellationToken);
    }

    /// <summary>Moves a member to another voice channel, or disconnects them (MOVE_MEMBERS).</summary>
    public async Task<bool> MoveAsync(SessionRegistry sessions, long guildId, long userId, long? channelId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(sessions);
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var state = await db.VoiceStates.AsNoTracking().SingleOrDefaultAsync(v => v.GuildId == guildId && v.UserId == userId, cancellationToken);
        if (state is null)
            return false;
        var session = sessions.Find(state.SessionId);
        if (session is null)
        {
            // Held by another instance, or its session is gone: the row is all there is to change.
            if (channelId is not null)
                return false;
            await LeaveGuildAsync(db, guildId, userId, cancellationToken);
            return true;
        }
        return await UpdateAsync(session, guildId, channelId, state.SelfMute, state.SelfDeaf, cancellationToken);
    }

    /// <summary>Removes the user's voice state in a guild (they left it, or were kicked or banned).</summary>
    public async Task LeaveGuildAsync(TogetherDb db, long guildId, long userId, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(db);
        var state = await db.VoiceStates.AsNoTracking().SingleOrDefaultAsync(v => v.GuildId == guildId && v.UserId == userId, cancellationToken);
        if (state is null)
            return;
        await db.VoiceStates.Where(v => v.GuildId == guildId && v.UserId == userId).ExecuteDeleteAsync(cancellationToken);
        sfu.Leave(guildId, userId);
        events.Publish(LeaveEvent(state));
    }

    /// <summary>A gateway session ended: the voice states it held end with it.</summary>
    public async Task SessionEndedAsync(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!session.MayHoldVoiceState)
            return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
            var states = await db.VoiceStates.AsNoTracking().Where(v => v.UserId == session.UserId && v.SessionId == session.Id).ToListAsync();
            if (states.Count == 0)
                return;
            await db.VoiceStates.Where(v => v.UserId == session.UserId && v.SessionId == session.Id).ExecuteDeleteAsync();
            foreach (var state in states)
            {
                sfu.Leave(state.GuildId, state.UserId);
                events.Publish(LeaveEvent(state));
            }
        }
        catch (Exception ex)
        {
            // Nobody awaits this (a session's end does not wait for the database): whatever went
            // wrong, a driver error included, is logged here or it would go unobserved.
            logger.LogWarning(ex, "Could not clear the voice states of session {Session}", session.Id);
        }
    }

    /// <summary>
    /// At start-up and at a planned stop: the states this instance holds belong to connections
    /// that are gone or going (a restarted server cannot resume them), so they are removed and
    /// the guilds told. Rows named by host (before instance ids were worker ids) go too.
    /// </summary>
    public async Task ClearStaleAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var stale = await db.VoiceStates.Where(v => v.InstanceId == instance.Id || !v.InstanceId.StartsWith("worker-")).ToListAsync(cancellationToken);
        if (stale.Count == 0)
            return;
        db.VoiceStates.RemoveRange(stale);
        await db.SaveChangesAsync(cancellationToken);
        foreach (var state in stale)
        {
            sfu.Leave(state.GuildId, state.UserId);
            events.Publish(LeaveEvent(state));
        }
        logger.LogInformation("Cleared {Count} voice state(s) of this instance", stale.Count);
    }

    private async Task PublishAsync(TogetherDb db, VoiceState state, MemberAccess member, bool left, CancellationToken cancellationToken)
    {
        // With the member object, as Discord sends it: clients need no extra lookup to show who joined.
        var user = member.Member.User ?? await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == state.UserId, cancellationToken);
        var memberObject = user is null ? null : MemberObject.From(member.Member, UserObject.From(user), time);
        var payload = VoiceStateObject.From(state, member.Member, memberObject) with { ChannelId = left ? null : state.ChannelId };
        events.Publish(Events.ToGuild("VOICE_STATE_UPDATE", state.GuildId, payload, Intents.GuildVoiceStates, alsoUsers: [state.UserId]));
    }

    private static GatewayEvent LeaveEvent(VoiceState state) =>
        Events.ToGuild("VOICE_STATE_UPDATE", state.GuildId, VoiceStateObject.From(state, null) with { ChannelId = null },
            Intents.GuildVoiceStates, alsoUsers: [state.UserId]);
}

/// <summary>Clears stale voice states before the server takes connections.</summary>
public sealed class VoiceStartup(VoiceStateService voice, ILogger<VoiceStartup> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken) => voice.ClearStaleAsync(cancellationToken);

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        try
        {
            await voice.ClearStaleAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The database may already be gone; the next start clears them.
            logger.LogWarning(ex, "Could not clear voice states at shutdown");
        }
    }
}

/// <summary>Op 4 VOICE_STATE_UPDATE: join, move or leave a voice channel.</summary>
public sealed class VoiceStateUpdateHandler(VoiceStateService voice) : IOpHandler
{
    public int Op => Gateway.Op.VoiceStateUpdate;

    public async Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        VoiceStateUpdatePayload? payload;
        try
        {
            payload = data.Deserialize<VoiceStateUpdatePayload>(GatewayJson.Options);
        }
        catch (JsonException)
        {
            payload = null;
        }
        if (payload is null || !PayloadIds.TryId(payload.GuildId, out var guildId) || guildId is null
            || !PayloadIds.TryId(payload.ChannelId, out var channelId))
        {
            connection.Close(CloseCode.DecodeError, "Invalid VOICE_STATE_UPDATE payload.");
            return;
        }
        // Like Discord: a join the user may not make is ignored, not an error.
        await voice.UpdateAsync(connection.Session!, guildId.Value, channelId, payload.SelfMute ?? false, payload.SelfDeaf ?? false, cancellationToken);
    }
}

public sealed record VoiceAnswerPayload(JsonElement GuildId, string? Sdp);

/// <summary>
/// Op 40 VOICE_ANSWER (Together's own opcode; Discord signals voice on a separate gateway): the
/// client's SDP answer to the latest VOICE_OFFER.
/// </summary>
public sealed class VoiceAnswerHandler(VoiceSfu sfu) : IOpHandler
{
    public const int Code = 40;

    public int Op => Code;

    public Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        VoiceAnswerPayload? payload;
        try
        {
            payload = data.Deserialize<VoiceAnswerPayload>(GatewayJson.Options);
        }
        catch (JsonException)
        {
            payload = null;
        }
        long? guildId = null;
        if (payload?.Sdp is not { Length: > 0 and <= 65536 } sdp || !PayloadIds.TryId(payload.GuildId, out guildId) || guildId is null)
        {
            connection.Close(CloseCode.DecodeError, "Invalid VOICE_ANSWER payload.");
            return Task.CompletedTask;
        }
        sfu.Answer(connection.Session!, guildId.Value, sdp);
        return Task.CompletedTask;
    }
}
