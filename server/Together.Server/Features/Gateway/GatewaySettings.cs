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
    /// Dispatches kept per session for RESUME (24 bytes each, payloads shared): 1000 is minutes
    /// of a busy server. A session that missed more gets op 9 and catches up over REST.
    /// </summary>
    public int ReplayBufferSize { get; set; } = 1_000;

    /// <summary>Frames queued for one socket before the connection is dropped as too slow.</summary>
    public int OutgoingQueueSize { get; set; } = 2_048;

    /// <summary>Guilds with more members than this are "large": members come on request (op 8).</summary>
    public int MaxLargeThreshold { get; set; } = 1_000;
}
