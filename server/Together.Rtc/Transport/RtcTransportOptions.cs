using System.Net;
using Together.Rtc.Dtls;
using Together.Rtc.Srtp;

namespace Together.Rtc.Transport;

public sealed class RtcTransportOptions
{
    /// <summary>Where the one UDP socket binds. Tests and development use 127.0.0.1.</summary>
    public IPEndPoint LocalEndPoint { get; init; } = new(IPAddress.Loopback, 0);

    /// <summary>RFC 7675 §5.1: consent expires 30 s after the last successful check.</summary>
    public TimeSpan ConsentTimeout { get; init; } = TimeSpan.FromSeconds(30);

    /// <summary>How often peers are checked for expired consent.</summary>
    public TimeSpan HousekeepingInterval { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>DTLS handshakes allowed to run at once (each holds a thread while it runs).</summary>
    public int MaxConcurrentHandshakes { get; init; } = 8;

    /// <summary>Handshakes allowed to wait for a slot; a peer whose ClientHello finds the queue full is closed.</summary>
    public int MaxWaitingHandshakes { get; init; } = 64;

    /// <summary>A handshake whose peer sends nothing for this long is given up (its slot freed).</summary>
    public TimeSpan HandshakeStallTimeout { get; init; } = DtlsConnection.DefaultStallTimeout;

    /// <summary>SRTP profiles accepted from browsers, most preferred first.</summary>
    public IReadOnlyList<SrtpProfile> SrtpProfiles { get; init; } = DtlsConnection.DefaultProfiles;

    /// <summary>Our DTLS certificate; generated at start when not given.</summary>
    public DtlsCertificate? Certificate { get; init; }

    /// <summary>SO_RCVBUF/SO_SNDBUF for the shared socket (the kernel may cap it, net.core.rmem_max).</summary>
    public int SocketBufferSize { get; init; } = 4 << 20;

    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;
}
