using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Together.Rtc.Dtls;
using Together.Rtc.Stun;

namespace Together.Rtc.Transport;

/// <summary>
/// One UDP socket serving every peer (like mediasoup's WebRtcServer). A single receive thread
/// demultiplexes by first byte (RFC 7983): STUN (0–3) is routed by the local ufrag in USERNAME,
/// DTLS (20–63) and SRTP/SRTCP (128–191) by the remote address. We are ICE-lite (RFC 8445 §2.5):
/// we only answer checks, never send them.
/// </summary>
public sealed class RtcTransport : IDisposable
{
    internal const int MaxPacket = 1500;

    private readonly Socket _socket;
    private readonly RtcTransportOptions _options;
    private readonly ConcurrentDictionary<string, RtcPeer> _peersByUfrag = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<SocketAddress, RtcPeer> _peersByAddress = new();
    private readonly Thread _receiveThread;
    private readonly ITimer _housekeeping;
    private volatile bool _disposed;

    private RtcTransport(RtcTransportOptions options)
    {
        _options = options;
        Certificate = options.Certificate ?? DtlsCertificate.Generate(options.TimeProvider);
        HandshakeLimiter = new DtlsHandshakeLimiter(options.MaxConcurrentHandshakes, options.MaxWaitingHandshakes);
        _socket = new Socket(options.LocalEndPoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        // Bursts from many peers arrive between two reads of the one receive thread; the default
        // buffer (~200 KB, a few hundred datagrams on loopback) drops them.
        _socket.ReceiveBufferSize = options.SocketBufferSize;
        _socket.SendBufferSize = options.SocketBufferSize;
        _socket.Bind(options.LocalEndPoint);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"rtc-udp-{LocalEndPoint.Port}" };
        _receiveThread.Start();
        _housekeeping = options.TimeProvider.CreateTimer(_ => Housekeeping(), null, options.HousekeepingInterval, options.HousekeepingInterval);
    }

    public IPEndPoint LocalEndPoint { get; }

    public DtlsCertificate Certificate { get; }

    public int PeerCount => _peersByUfrag.Count;

    internal IReadOnlyList<Srtp.SrtpProfile> SrtpProfiles => _options.SrtpProfiles;

    internal DtlsHandshakeLimiter HandshakeLimiter { get; }

    internal TimeProvider TimeProvider => _options.TimeProvider;

    internal TimeSpan HandshakeStallTimeout => _options.HandshakeStallTimeout;

    public static RtcTransport Start(RtcTransportOptions? options = null) => new(options ?? new RtcTransportOptions());

    /// <summary>Creates a peer with fresh ICE credentials (or the given ones) to put in the offer.</summary>
    public RtcPeer CreatePeer(IceCredentials? local = null)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var peer = new RtcPeer(this, local ?? IceCredentials.Generate(), _options.TimeProvider.GetTimestamp());
        if (!_peersByUfrag.TryAdd(peer.Local.Ufrag, peer))
        {
            throw new InvalidOperationException("ICE ufrag already in use on this transport.");
        }

        return peer;
    }

    /// <summary>Raised (on the receive thread) when an RTP/RTCP handler throws; the packet is dropped.</summary>
    public event Action<RtcPeer, Exception>? HandlerFailed;

    internal void ReportHandlerFailure(RtcPeer peer, Exception exception) => HandlerFailed?.Invoke(peer, exception);

    internal bool SendTo(ReadOnlySpan<byte> datagram, SocketAddress address)
    {
        try
        {
            _socket.SendTo(datagram, SocketFlags.None, address);
            return true;
        }
        catch (SocketException)
        {
            return false; // e.g. ICMP unreachable reported on the socket; UDP is best effort
        }
        catch (ObjectDisposedException)
        {
            return false;
        }
    }

    /// <summary>Address → peer entries (tests: old paths are unmapped).</summary>
    internal int AddressMappings => _peersByAddress.Count;

    internal void MapAddress(RtcPeer peer, SocketAddress address, SocketAddress? previous)
    {
        // The same address can't belong to two peers; the newest authenticated check wins.
        _peersByAddress[address] = peer;

        // The path moved: DTLS and media from the old address no longer reach this peer (and the
        // entry does not outlive it); only if the old address is still ours, not another peer's.
        if (previous is not null)
        {
            _peersByAddress.TryRemove(new KeyValuePair<SocketAddress, RtcPeer>(previous, peer));
        }
    }

    internal void Remove(RtcPeer peer)
    {
        _peersByUfrag.TryRemove(new KeyValuePair<string, RtcPeer>(peer.Local.Ufrag, peer));
        foreach (var entry in _peersByAddress)
        {
            if (ReferenceEquals(entry.Value, peer))
            {
                _peersByAddress.TryRemove(entry);
            }
        }
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[MaxPacket];
        var response = new byte[512];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_disposed)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException)
            {
                continue; // ICMP errors surface here on Linux; keep serving the other peers
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (length == 0)
            {
                continue;
            }

            var packet = buffer.AsSpan(0, length);
            byte first = packet[0];
            if (first <= 3)
            {
                HandleStun(packet, from, response);
            }
            else if (first is >= 20 and <= 63)
            {
                if (_peersByAddress.TryGetValue(from, out var peer))
                {
                    peer.OnDtls(packet);
                }
            }
            else if (first is >= 128 and <= 191)
            {
                if (_peersByAddress.TryGetValue(from, out var peer))
                {
                    peer.OnMedia(packet);
                }
            }

            // Anything else (TURN channels 64–79, QUIC, noise) is dropped.
        }
    }

    private void HandleStun(ReadOnlySpan<byte> packet, SocketAddress from, byte[] response)
    {
        if (!StunMessage.TryParse(packet, out var request)
            || request.Method != StunMethod.Binding
            || request.Class != StunClass.Request)
        {
            return; // indications (keepalives) and stray responses need no answer
        }

        // RFC 8445 §7.3: USERNAME is "our-ufrag:their-ufrag"; route by ours.
        string? username = request.Username;
        int colon = username?.IndexOf(':', StringComparison.Ordinal) ?? -1;
        if (colon <= 0 || !_peersByUfrag.TryGetValue(username![..colon], out var peer))
        {
            return; // unknown ufrag: silently dropped, we must not act as an open reflector
        }

        if (!request.HasFingerprint)
        {
            return; // RFC 8445 §7.3: ICE requests carry FINGERPRINT
        }

        var endPoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(from);
        if (!request.HasMessageIntegrity || !request.VerifyMessageIntegrity(peer.LocalPasswordBytes))
        {
            SendError(request, 401, "Unauthorized", endPoint, from, response, key: null);
            return;
        }

        if (peer.RemoteUfrag is not null && !string.Equals(username[(colon + 1)..], peer.RemoteUfrag, StringComparison.Ordinal))
        {
            SendError(request, 401, "Unauthorized", endPoint, from, response, key: null);
            return;
        }

        if (request.IceControlled is not null)
        {
            // We are lite and therefore always controlled; a controlled peer is in conflict.
            SendError(request, 487, "Role Conflict", endPoint, from, response, peer.LocalPasswordBytes);
            return;
        }

        // Record consent and the path before answering: once the browser sees our success, its
        // ClientHello can arrive and must find the address mapped.
        peer.OnConsent(from, request.UseCandidate, _options.TimeProvider.GetTimestamp());
        var w = new StunWriter(response, StunMethod.Binding, StunClass.SuccessResponse, request.TransactionId);
        w.AddXorMappedAddress(endPoint);
        w.AddMessageIntegrity(peer.LocalPasswordBytes);
        w.AddFingerprint();
        SendTo(w.Written, from);
    }

    private void SendError(StunMessage request, int code, string reason, IPEndPoint endPoint, SocketAddress to, byte[] buffer, byte[]? key)
    {
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.ErrorResponse, request.TransactionId);
        w.AddErrorCode(code, reason);
        w.AddXorMappedAddress(endPoint);
        if (key is not null)
        {
            w.AddMessageIntegrity(key);
        }

        w.AddFingerprint();
        SendTo(w.Written, to);
    }

    private void Housekeeping()
    {
        var now = _options.TimeProvider.GetTimestamp();
        foreach (var peer in _peersByUfrag.Values)
        {
            var silent = _options.TimeProvider.GetElapsedTime(peer.LastConsentTicks, now);
            if (silent > _options.ConsentTimeout)
            {
                // RFC 7675 §5.1: no consent for 30 s means stop sending; we drop the peer.
                peer.Close("ICE consent expired");
            }
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _disposed = true;
        _housekeeping.Dispose();
        foreach (var peer in _peersByUfrag.Values)
        {
            peer.Close("transport disposed");
        }

        _socket.Dispose();
        _receiveThread.Join(TimeSpan.FromSeconds(2));
        HandshakeLimiter.Dispose();
    }
}
