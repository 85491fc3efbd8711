namespace Together.Server.Features.Gateway;

/// <summary>The <c>Gateway</c> configuration section.</summary>
public sealed class GatewaySettings
{
    /// <summary>
    /// The WebSocket URL clients are told to use (ws:// or wss://, no query string). When unset it
    /// is built from the request: scheme and host as the client reached the API, path /gateway.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>Discord's value; clients heartbeat at this interval.</summary>
    public int HeartbeatIntervalMs { get; set; } = 41_250;

    /// <summary>How long after a missed heartbeat is due the connection is closed.</summary>
    public int HeartbeatGraceMs { get; set; } = 10_000;

    /// <summary>How long a dropped session can be resumed (at least two minutes).</summary>
    public TimeSpan ResumeWindow { get; set; } = TimeSpan.FromMinutes(3);

    /// <summary>How long a new connection may wait before IDENTIFY or RESUME.</summary>
    public TimeSpan IdentifyTimeout { get; set; } = TimeSpan.FromSeconds(45);

    /// <summary>
    /// Dispatches kept per session for RESUME (4 bytes each, a number in the shared
    /// <see cref="DispatchLog"/>, which holds twice as many bodies: 500 sessions × 2048 is about
    /// 4 MB at worst). It must cover what a client cut off
    /// for reading too slowly can have missed: its full outgoing queue plus what was already in the
    /// socket buffers (<see cref="InFlightMargin"/>), or such a client could never resume.
    /// </summary>
    public int ReplayBufferSize { get; set; } = 2_048;

    /// <summary>How long frames queued at close may take to leave before the connection is cut (<see cref="GatewayConnection.DrainTimeout"/>).</summary>
    public TimeSpan DrainTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Frames queued for one socket before the connection is dropped as too slow (4000, resumable).</summary>
    public int OutgoingQueueSize { get; set; } = 1_024;

    /// <summary>
    /// Frames a client may have missed beyond its outgoing queue: sent into the kernel's socket
    /// buffers but never read (a few hundred KB on Linux, about 512 typical frames).
    /// </summary>
    public const int InFlightMargin = 512;

    /// <summary>Refuses settings under which a slow client's session could not be resumed.</summary>
    public void Validate()
    {
        if (ResumeWindow < TimeSpan.FromMinutes(2))
            throw new InvalidOperationException("Gateway:ResumeWindow must be at least two minutes.");
        if (DrainTimeout <= TimeSpan.Zero)
            throw new InvalidOperationException("Gateway:DrainTimeout must be positive.");
        if (OutgoingQueueSize < 1)
            throw new InvalidOperationException("Gateway:OutgoingQueueSize must be at least 1.");
        if (ReplayBufferSize < OutgoingQueueSize + InFlightMargin)
            throw new InvalidOperationException(
                $"Gateway:ReplayBufferSize ({ReplayBufferSize}) must be at least Gateway:OutgoingQueueSize ({OutgoingQueueSize}) + {InFlightMargin}: "
                + "a client closed for a full queue could otherwise never resume.");
    }

    /// <summary>Guilds with more members than this are "large": members come on request (op 8).</summary>
    public int MaxLargeThreshold { get; set; } = 1_000;
}
