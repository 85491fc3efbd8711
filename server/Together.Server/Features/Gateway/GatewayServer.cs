using System.Collections.Concurrent;
using System.Net.WebSockets;
using System.Text.Json;

namespace Together.Server.Features.Gateway;

/// <summary>Handles one gateway opcode from a client.</summary>
public interface IOpHandler
{
    int Op { get; }

    Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken);
}

/// <summary>
/// Runs WebSocket connections: HELLO, the receive loop with one handler per opcode, and what
/// happens when a connection ends (the session waits for a resume, or ends and the user may go
/// offline).
/// </summary>
public sealed class GatewayServer(
    IEnumerable<IOpHandler> handlers,
    SessionRegistry sessions,
    PresencePublisher presence,
    Voice.VoiceStateService voice,
    GatewaySettings settings,
    TimeProvider time,
    ILogger<GatewayServer> logger)
{
    private static readonly JsonElement NullData = JsonDocument.Parse("null").RootElement.Clone();
    private readonly Dictionary<int, IOpHandler> _handlers = handlers.ToDictionary(h => h.Op);
    private readonly ConcurrentDictionary<GatewayConnection, byte> _connections = new();

    public ICollection<GatewayConnection> Connections => _connections.Keys;

    public async Task RunAsync(WebSocket socket, bool zlibStream, int? closeAtOnce, string resumeUrl, Action abortConnection, CancellationToken aborted)
    {
        ArgumentNullException.ThrowIfNull(socket);
        await using var connection = new GatewayConnection(socket, zlibStream, settings.OutgoingQueueSize, time)
        {
            ResumeUrl = resumeUrl,
            AbortConnection = abortConnection,
            DrainTimeout = settings.DrainTimeout,
        };
        _connections[connection] = 0;
        var sending = connection.SendLoopAsync();
        var cleanClientClose = false;
        try
        {
            if (closeAtOnce is { } code)
            {
                connection.Close(code, code == CloseCode.InvalidApiVersion ? "Invalid API version." : "Invalid encoding.");
                return;
            }
            connection.EnqueueOp(Op.Hello, Events.Serialize(new HelloPayload(settings.HeartbeatIntervalMs)));
            using var stop = CancellationTokenSource.CreateLinkedTokenSource(aborted, connection.Closing);
            while (!connection.IsClosed)
            {
                using var document = await connection.ReceiveAsync(stop.Token);
                if (document is null)
                {
                    cleanClientClose = socket.CloseStatus is WebSocketCloseStatus.NormalClosure or WebSocketCloseStatus.EndpointUnavailable;
                    // A close the peer started is answered with its own code (RFC 6455, 5.5.1), not
                    // with the 4000 of a connection lost (ignored when we closed first).
                    if (socket.CloseStatus is { } peerStatus)
                    {
                        var echo = EchoableCloseCode((int)peerStatus);
                        connection.Close(echo, echo == (int)WebSocketCloseStatus.Empty ? "" : socket.CloseStatusDescription ?? "");
                    }
                    break;
                }
                if (!connection.CountFrame())
                {
                    connection.Close(CloseCode.RateLimited, "You are being rate limited.");
                    break;
                }
                var root = document.RootElement;
                if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("op", out var opElement)
                    || opElement.ValueKind != JsonValueKind.Number || !opElement.TryGetInt32(out var op))
                {
                    connection.Close(CloseCode.DecodeError, "Error while decoding payload.");
                    break;
                }
                if (connection.LastFrameLength > GatewayConnection.MaxIncomingFrame && op != Voice.VoiceAnswerHandler.Code)
                {
                    connection.Close(CloseCode.DecodeError, "Payload too large.");
                    break;
                }
                if (!_handlers.TryGetValue(op, out var handler))
                {
                    connection.Close(CloseCode.UnknownOpcode, "Unknown opcode.");
                    break;
                }
                if (op is not (Op.Identify or Op.Resume or Op.Heartbeat) && connection.Session is null)
                {
                    connection.Close(CloseCode.NotAuthenticated, "Not authenticated.");
                    break;
                }
                // A frame without "d" carries null, as Discord reads it: handlers deserialize it, and
                // a default JsonElement has no document to deserialize from.
                var data = root.TryGetProperty("d", out var d) ? d : NullData;
                await handler.HandleAsync(connection, data, stop.Token);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException)
        {
            // The network went away; the session stays resumable.
        }
        catch (Exception ex)
        {
            logger.LogError(ex, "Gateway connection failed");
            connection.Close(CloseCode.UnknownError, "Unknown error.");
        }
        finally
        {
            connection.Close(CloseCode.UnknownError, "Connection closed.");
            connection.StopReceiving();
            await sending;
            _connections.TryRemove(connection, out _);
            Ended(connection, cleanClientClose);
        }
    }

    // Codes a close frame may carry (RFC 6455, 7.4); anything else (1005, "no code") gets an empty close.
    private static int EchoableCloseCode(int code) =>
        code is (>= 1000 and <= 1003) or (>= 1007 and <= 1014) or (>= 3000 and <= 4999) ? code : (int)WebSocketCloseStatus.Empty;

    /// <summary>
    /// A client that closes with 1000 or 1001 ends its session (Discord's rule); any other end
    /// leaves it resumable for the resume window. Either way, if it was the user's last live
    /// connection, they show as offline until they come back.
    /// </summary>
    private void Ended(GatewayConnection connection, bool cleanClientClose)
    {
        // Invalidated sessions are already ended, quietly (InvalidateAllSessions).
        if (connection.Session is not { } session || session.Invalidated)
            return;
        var ended = connection.CloseStatus?.Code is CloseCode.SessionTimedOut or CloseCode.AuthenticationFailed;
        if (cleanClientClose || ended)
            End(session);
        else
        {
            session.Detach(connection, time.GetUtcNow());
            if (sessions.OfUser(session.UserId).All(s => s.Connection is null))
                presence.Announce(session.UserId, forceOffline: true);
        }
    }

    public void End(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        sessions.Remove(session);
        _ = voice.SessionEndedAsync(session);
        session.Connection?.Close(CloseCode.SessionTimedOut, "Session ended.");
        presence.Announce(session.UserId, forceOffline: sessions.OfUser(session.UserId).All(s => s.Connection is null));
    }

    /// <summary>
    /// Every session may have missed events: end them all, then op 7 RECONNECT. Each client's
    /// RESUME gets op 9, and it identifies anew with the guilds as they are now. Nobody is
    /// announced offline for it: they are back within seconds.
    /// </summary>
    public void InvalidateAllSessions()
    {
        foreach (var session in sessions.All())
        {
            session.Invalidated = true;
            sessions.Remove(session);
            _ = voice.SessionEndedAsync(session);
        }
        foreach (var connection in _connections.Keys.Where(c => c.Session is not null))
        {
            connection.EnqueueOp(Op.Reconnect, "null"u8.ToArray());
            connection.Close(CloseCode.UnknownError, "Events were missed; reconnect.");
        }
    }

    /// <summary>Planned shutdown: op 7 RECONNECT tells every client to come back and resume.</summary>
    public void ReconnectAll()
    {
        foreach (var connection in _connections.Keys)
        {
            connection.EnqueueOp(Op.Reconnect, "null"u8.ToArray());
            connection.Close(CloseCode.UnknownError, "Server restarting; reconnect and resume.");
        }
    }
}

/// <summary>Once a second: closes connections that stopped heartbeating or never identified, and ends sessions past the resume window.</summary>
public sealed class GatewayJanitor(GatewayServer server, SessionRegistry sessions, GatewaySettings settings, TimeProvider time) : BackgroundService
{
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromSeconds(1), time);
        try
        {
            while (await timer.WaitForNextTickAsync(stoppingToken))
                Sweep();
        }
        catch (OperationCanceledException)
        {
            // Shutting down.
        }
    }

    /// <summary>One sweep, at <paramref name="at"/> (tests look ahead) or now.</summary>
    public void Sweep(DateTimeOffset? at = null)
    {
        var now = at ?? time.GetUtcNow();
        var heartbeatDeadline = TimeSpan.FromMilliseconds(settings.HeartbeatIntervalMs + settings.HeartbeatGraceMs);
        foreach (var connection in server.Connections)
        {
            if (connection.Session is null && now - connection.OpenedAt > settings.IdentifyTimeout)
                connection.Close(CloseCode.SessionTimedOut, "Session timed out: no IDENTIFY.");
            else if (now - connection.LastHeartbeat > heartbeatDeadline)
                connection.Close(CloseCode.SessionTimedOut, "Session timed out: no heartbeat.");
        }
        foreach (var session in sessions.All())
            if (session.Connection is null && session.DetachedAt is { } detached && now - detached > settings.ResumeWindow)
                server.End(session);
    }
}
