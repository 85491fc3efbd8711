using System.Text.Json;
using Together.Server.Features.Auth;

namespace Together.Server.Features.Gateway.Handlers;

/// <summary>
/// Op 2 IDENTIFY: checks the token (an access token, with or without "Bot "/"Bearer "), the
/// intents and the shard, starts a session, and sends READY and one GUILD_CREATE per guild.
/// </summary>
public sealed class Identify(
    TokenService tokens,
    SessionRevocations revocations,
    SessionRegistry sessions,
    PresenceTracker presence,
    PresencePublisher presencePublisher,
    GuildStates guilds,
    IServiceScopeFactory scopes,
    GatewaySettings settings,
    DispatchLog log) : IOpHandler
{
    public int Op => Gateway.Op.Identify;

    public async Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        if (connection.Session is not null)
        {
            connection.Close(CloseCode.AlreadyAuthenticated, "You sent more than one identify payload.");
            return;
        }
        IdentifyPayload? payload;
        try
        {
            payload = data.Deserialize<IdentifyPayload>(GatewayJson.Options);
        }
        catch (JsonException)
        {
            payload = null;
        }
        if (payload is null)
        {
            connection.Close(CloseCode.DecodeError, "Invalid IDENTIFY payload.");
            return;
        }
        var token = payload.Token is null ? null : TokenAuthenticationHandler.ExtractToken(payload.Token);
        var identity = token is null ? null : await tokens.ValidateAsync(token);
        if (identity is null || !await revocations.IsAliveAsync(identity.Value.SessionId, cancellationToken))
        {
            connection.Close(CloseCode.AuthenticationFailed, "Authentication failed.");
            return;
        }
        if (payload.Intents is not { } rawIntents || rawIntents < 0 || (rawIntents & ~(long)IntentRules.Known) != 0)
        {
            connection.Close(CloseCode.InvalidIntents, "Invalid intent(s).");
            return;
        }
        var (shardId, shardCount) = payload.Shard is [var id, var count] ? (id, count) : (0, 1);
        if (shardCount < 1 || shardId < 0 || shardId >= shardCount)
        {
            connection.Close(CloseCode.InvalidShard, "Invalid shard.");
            return;
        }
        var status = payload.Presence?.Status;
        var userId = identity.Value.UserId.Value;
        var session = new GatewaySession(userId, identity.Value.SessionId, (Intents)rawIntents, shardId, shardCount, settings.ReplayBufferSize, log);
        var threshold = Math.Clamp(payload.LargeThreshold ?? 50, 50, settings.MaxLargeThreshold);

        await using var scope = scopes.CreateAsyncScope();
        var builder = scope.ServiceProvider.GetRequiredService<ReadyBuilder>();
        var guildIds = (await builder.GuildIdsAsync(userId, cancellationToken)).Where(session.OwnsGuild).ToList();
        // Fan-out decides by the cached guild state: have it before any event can reach this session.
        foreach (var guildId in guildIds)
            await guilds.GetOrLoadAsync(guildId, cancellationToken);
        // Subscribe before reading the snapshot: an event committed meanwhile is held back
        // (the session is not started) and delivered after READY, never lost.
        sessions.Add(session, guildIds);
        connection.Session = session;
        // The user's own presence is in the snapshot too (a client shows itself online from its
        // GUILD_CREATE); the others hear of it once READY is out.
        presence.Choose(userId, PresenceTracker.IsValidStatus(status) ? status! : "online", payload.Presence?.Activities ?? []);
        var ready = await builder.ReadyAsync(session, guildIds, connection.ResumeUrl, cancellationToken);
        if (ready is null)
        {
            sessions.Remove(session);
            presence.Forget(userId);
            connection.Close(CloseCode.AuthenticationFailed, "Authentication failed.");
            return;
        }
        var opening = new List<(string, byte[])> { ("READY", ready) };
        foreach (var guildId in guildIds)
            if (await builder.GuildCreateAsync(guildId, userId, threshold, session.Intents, cancellationToken) is { } guildCreate)
                opening.Add(("GUILD_CREATE", guildCreate));
        session.Start(connection, opening);
        presencePublisher.Announce(userId);
    }
}

/// <summary>Op 6 RESUME: reattaches a dropped session and replays what it missed, or op 9 when it cannot.</summary>
public sealed class Resume(TokenService tokens, SessionRegistry sessions, PresencePublisher presence) : IOpHandler
{
    public int Op => Gateway.Op.Resume;

    public async Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        if (connection.Session is not null)
        {
            connection.Close(CloseCode.AlreadyAuthenticated, "Already authenticated.");
            return;
        }
        ResumePayload? payload;
        try
        {
            payload = data.Deserialize<ResumePayload>(GatewayJson.Options);
        }
        catch (JsonException)
        {
            payload = null;
        }
        if (payload?.Token is null || payload.SessionId is null || payload.Seq is null)
        {
            connection.Close(CloseCode.DecodeError, "Invalid RESUME payload.");
            return;
        }
        var token = TokenAuthenticationHandler.ExtractToken(payload.Token);
        var identity = token is null ? null : await tokens.ValidateAsync(token);
        if (identity is null)
        {
            connection.Close(CloseCode.AuthenticationFailed, "Authentication failed.");
            return;
        }
        var session = sessions.Find(payload.SessionId);
        var outcome = session is null || session.UserId != identity.Value.UserId.Value
            ? ResumeOutcome.Gone
            : session.Resume(connection, payload.Seq.Value);
        if (outcome == ResumeOutcome.InvalidSeq)
        {
            connection.Close(CloseCode.InvalidSeq, "Invalid seq.");
            return;
        }
        if (outcome != ResumeOutcome.Resumed || session is null)
        {
            // d: false — the session is gone; the client must identify anew.
            connection.EnqueueOp(Gateway.Op.InvalidSession, "false"u8.ToArray());
            return;
        }
        connection.Session = session;
        presence.Announce(session.UserId);
    }
}

/// <summary>Op 1 HEARTBEAT: answered with op 11 at once.</summary>
public sealed class Heartbeat(TimeProvider time) : IOpHandler
{
    public int Op => Gateway.Op.Heartbeat;

    public Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        if (data.ValueKind is not (JsonValueKind.Null or JsonValueKind.Number or JsonValueKind.Undefined))
        {
            connection.Close(CloseCode.DecodeError, "Invalid heartbeat.");
            return Task.CompletedTask;
        }
        connection.LastHeartbeat = time.GetUtcNow();
        connection.EnqueueOp(Gateway.Op.HeartbeatAck, "null"u8.ToArray());
        return Task.CompletedTask;
    }
}

/// <summary>Op 3 PRESENCE_UPDATE: the user's status and activities, told to their guilds.</summary>
public sealed class PresenceUpdate(PresenceTracker presence, PresencePublisher publisher) : IOpHandler
{
    public int Op => Gateway.Op.PresenceUpdate;

    public Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        PresencePayload? payload;
        try
        {
            payload = data.Deserialize<PresencePayload>(GatewayJson.Options);
        }
        catch (JsonException)
        {
            payload = null;
        }
        if (payload is null || !PresenceTracker.IsValidStatus(payload.Status) || payload.Activities is { Count: > 10 })
        {
            connection.Close(CloseCode.DecodeError, "Invalid presence.");
            return Task.CompletedTask;
        }
        presence.Choose(connection.Session!.UserId, payload.Status!, payload.Activities ?? []);
        publisher.Announce(connection.Session.UserId);
        return Task.CompletedTask;
    }
}
