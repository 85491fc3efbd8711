using System.Net;
using System.Net.Sockets;
using System.Text;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;
using Together.Rtc.Srtp;

namespace Together.Rtc.Transport;

/// <summary>A packet handed to the application: already unprotected, valid only during the call.</summary>
public delegate void RtcPacketHandler(RtcPeer peer, ReadOnlySpan<byte> packet);

public enum RtcPeerState
{
    /// <summary>Created; no valid connectivity check yet.</summary>
    New,

    /// <summary>ICE checks arrive; DTLS not finished.</summary>
    Checking,

    /// <summary>DTLS done, SRTP keys in place: media flows.</summary>
    Connected,

    Closed,
}

/// <summary>
/// One remote participant on the shared <see cref="RtcTransport"/>. The SFU creates it with
/// our ICE credentials (sent in the offer), gives it the remote ufrag and DTLS fingerprint from
/// the answer, then receives unprotected RTP/RTCP through events and sends plain RTP/RTCP that
/// is protected here. Events run on the transport's receive thread (RTP, RTCP) or the thread
/// pool (Connected, Closed); handlers must be quick and must not block.
/// </summary>
public sealed class RtcPeer : IDisposable
{
    private readonly RtcTransport _transport;
    private readonly Lock _receiveLock = new();
    private readonly Lock _sendLock = new();
    private readonly byte[] _sendBuffer = new byte[RtcTransport.MaxPacket];
    private volatile DtlsConnection? _dtls;
    private SrtpSession? _sender;
    private SrtpSession? _receiver;
    private volatile SocketAddress? _remoteAddress;
    private volatile RtcPeerState _state = RtcPeerState.New;
    private long _lastConsentTicks;
    private int _closed;
    private int _handshakeStarted;
    private const int MaxEarlyPackets = 32;

    // After the handshake a browser sends DTLS only to retransmit its last flight or to close:
    // a few records per connection. More than this per second is dropped on the receive thread,
    // before any copy is made (a peer that floods DTLS costs the others nothing).
    internal const int ConnectedDtlsPerSecond = 10;
    private long _dtlsWindowStart;
    private int _dtlsInWindow;
    private readonly Queue<byte[]> _early = new();

    // Cancelled by Close: a handshake still waiting for a limiter slot leaves the queue at once.
    private readonly CancellationTokenSource _closing = new();

    internal RtcPeer(RtcTransport transport, IceCredentials local, long createdTicks)
    {
        _transport = transport;
        Local = local;
        LocalPasswordBytes = Encoding.UTF8.GetBytes(local.Password);
        _lastConsentTicks = createdTicks;
    }

    public IceCredentials Local { get; }

    public string? RemoteUfrag { get; private set; }

    public DtlsFingerprint? RemoteFingerprint { get; private set; }

    public RtcPeerState State => _state;

    /// <summary>The negotiated SRTP profile once connected.</summary>
    public SrtpProfile? Profile { get; private set; }

    /// <summary>The selected remote address (set by USE-CANDIDATE, RFC 8445 §7.3.1.5).</summary>
    public IPEndPoint? RemoteEndPoint { get; private set; }

    public string? CloseReason { get; private set; }

    public event Action<RtcPeer>? Connected;

    public event RtcPacketHandler? RtpReceived;

    public event RtcPacketHandler? RtcpReceived;

    public event Action<RtcPeer, string>? Closed;

    internal byte[] LocalPasswordBytes { get; }

    /// <summary>DTLS datagrams dropped over the post-handshake budget (diagnostics, tests).</summary>
    internal int DtlsDropped { get; private set; }

    /// <summary>SRTP packets that arrived before our keys and were held (diagnostics).</summary>
    internal int EarlyPacketsHeld { get; private set; }

    internal long LastConsentTicks => Interlocked.Read(ref _lastConsentTicks);

    /// <summary>
    /// Why this transport cannot use <paramref name="answer"/>, or null when it can: it needs the
    /// browser's ice-ufrag and fingerprint, and <c>a=setup:active</c> (or none, which means active,
    /// RFC 4145 §4), because we offer actpass and are only ever the DTLS server. A passive
    /// answer would make both sides wait for the other's ClientHello until consent expires.
    /// </summary>
    public static string? CheckAnswer(SdpSessionDescription answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        if (answer.EffectiveIceUfrag is null)
        {
            return "The answer has no a=ice-ufrag.";
        }

        if (answer.EffectiveFingerprint is null)
        {
            return "The answer has no usable a=fingerprint (sha-256).";
        }

        return answer.EffectiveSetup switch
        {
            null or "active" => null,
            var setup => $"The answer says a=setup:{setup}; this server only takes the DTLS server role, so answers must say a=setup:active (RFC 5763 §5).",
        };
    }

    /// <summary>From the browser's answer: checks it (<see cref="CheckAnswer"/>, ArgumentException) and sets its ufrag and fingerprint.</summary>
    public void SetRemote(SdpSessionDescription answer)
    {
        if (CheckAnswer(answer) is { } problem)
        {
            throw new ArgumentException(problem, nameof(answer));
        }

        SetRemote(answer.EffectiveIceUfrag!, answer.EffectiveFingerprint!);
    }

    /// <summary>
    /// From the remote SDP: its ice-ufrag and DTLS fingerprint. Call once, before media. The
    /// caller vouches that the remote side is the DTLS client (a=setup:active); prefer
    /// <see cref="SetRemote(SdpSessionDescription)"/>, which checks that.
    /// </summary>
    public void SetRemote(string remoteUfrag, DtlsFingerprint remoteFingerprint)
    {
        ArgumentException.ThrowIfNullOrEmpty(remoteUfrag);
        ArgumentNullException.ThrowIfNull(remoteFingerprint);
        lock (_receiveLock)
        {
            if (_dtls is not null)
            {
                throw new InvalidOperationException("Remote description already set.");
            }

            RemoteUfrag = remoteUfrag;
            RemoteFingerprint = remoteFingerprint;
            _dtls = new DtlsConnection(DtlsRole.Server, _transport.Certificate, remoteFingerprint, SendDtls, _transport.SrtpProfiles, _transport.HandshakeStallTimeout);
            _dtls.Closed += () => Close("DTLS closed by the remote peer");
            _dtls.KeysReady += InstallKeys;
        }
    }

    /// <summary>Protects and sends one RTP packet. False when not connected or malformed.</summary>
    public bool SendRtp(ReadOnlySpan<byte> packet) => SendMedia(packet, rtcp: false);

    /// <summary>Protects and sends one RTCP (compound) packet.</summary>
    public bool SendRtcp(ReadOnlySpan<byte> packet) => SendMedia(packet, rtcp: true);

    public void Close(string reason = "closed")
    {
        if (Interlocked.Exchange(ref _closed, 1) != 0)
        {
            return;
        }

        CloseReason = reason;
        _state = RtcPeerState.Closed;
        _transport.Remove(this);
        _closing.Cancel();
        _dtls?.Close();
        lock (_receiveLock)
        {
            _receiver?.Dispose();
            _receiver = null;
        }

        lock (_sendLock)
        {
            _sender?.Dispose();
            _sender = null;
        }

        ThreadPool.QueueUserWorkItem(_ => Closed?.Invoke(this, reason));
    }

    public void Dispose() => Close();

    private bool SendMedia(ReadOnlySpan<byte> packet, bool rtcp)
    {
        lock (_sendLock)
        {
            var sender = _sender;
            var address = _remoteAddress;
            if (sender is null || address is null || packet.Length + SrtpProfileInfo.RtcpOverhead(sender.Profile) > _sendBuffer.Length)
            {
                return false;
            }

            packet.CopyTo(_sendBuffer);
            bool ok = rtcp
                ? sender.TryProtectRtcp(_sendBuffer, packet.Length, out int length)
                : sender.TryProtectRtp(_sendBuffer, packet.Length, out length);
            return ok && _transport.SendTo(_sendBuffer.AsSpan(0, length), address);
        }
    }

    private void SendDtls(ReadOnlySpan<byte> datagram)
    {
        var address = _remoteAddress;
        if (address is not null)
        {
            _transport.SendTo(datagram, address);
        }
    }

    private async Task RunHandshakeAsync(DtlsConnection dtls)
    {
        try
        {
            var keys = await dtls.HandshakeAsync(_transport.HandshakeLimiter, _closing.Token).ConfigureAwait(false);
            InstallKeys(keys); // normally done already, from inside the handshake
            if (_closed != 0)
            {
                return;
            }

            _state = RtcPeerState.Connected;
            Connected?.Invoke(this);
        }
#pragma warning disable CA1031 // Fire-and-forget task: whatever failed (alert, timeout, disposal), the peer must end closed.
        catch (Exception e)
#pragma warning restore CA1031
        {
            Close($"DTLS handshake failed: {e.Message}");
        }
    }

    private void InstallKeys(SrtpKeyingMaterial keys)
    {
        lock (_receiveLock)
        {
            lock (_sendLock)
            {
                if (_closed != 0 || _receiver is not null)
                {
                    return;
                }

                _sender = keys.CreateSender();
                _receiver = keys.CreateReceiver();
                Profile = keys.Profile;
            }
        }
    }

    // ---- called by the transport's receive thread ----

    /// <summary>A valid, authenticated connectivity check arrived from <paramref name="from"/>.</summary>
    internal void OnConsent(SocketAddress from, bool useCandidate, long nowTicks)
    {
        if (_state == RtcPeerState.New)
        {
            _state = RtcPeerState.Checking;
        }

        // The first valid check gives the path until the browser nominates one (USE-CANDIDATE,
        // RFC 8445 §7.3.1.5), which moves it; the address it leaves stops routing to this peer.
        var selected = _remoteAddress;
        if ((useCandidate || selected is null) && (selected is null || !selected.Equals(from)))
        {
            var copy = new SocketAddress(from.Family, from.Size);
            from.Buffer.Span[..from.Size].CopyTo(copy.Buffer.Span);
            var endPoint = (IPEndPoint)new IPEndPoint(IPAddress.Any, 0).Create(copy);
            _remoteAddress = copy;
            RemoteEndPoint = endPoint;
            _transport.MapAddress(this, copy, previous: selected);
            selected = copy;
        }

        // RFC 7675 §5.1: consent is for the selected pair. A valid check from another address is
        // answered but does not keep this peer alive.
        if (selected.Equals(from))
        {
            Interlocked.Exchange(ref _lastConsentTicks, nowTicks);
        }
    }

    internal void OnDtls(ReadOnlySpan<byte> datagram)
    {
        var dtls = _dtls;
        if (dtls is null)
        {
            return; // no remote fingerprint yet: the browser retransmits its ClientHello
        }

        if (dtls.IsConnected && !TakeDtlsBudget())
        {
            DtlsDropped++;
            return;
        }

        dtls.Feed(datagram);

        // The handshake (and its limiter slot) starts with the first ClientHello, not before, so
        // peers that were offered but never connect hold no thread.
        if (Interlocked.Exchange(ref _handshakeStarted, 1) == 0)
        {
            _ = RunHandshakeAsync(dtls);
        }
    }

    private bool TakeDtlsBudget()
    {
        var time = _transport.TimeProvider;
        long now = time.GetTimestamp();
        if (_dtlsInWindow == 0 || time.GetElapsedTime(_dtlsWindowStart, now) >= TimeSpan.FromSeconds(1))
        {
            _dtlsWindowStart = now;
            _dtlsInWindow = 0;
        }

        return ++_dtlsInWindow <= ConnectedDtlsPerSecond;
    }

    internal void OnMedia(Span<byte> packet)
    {
        lock (_receiveLock)
        {
            if (_receiver is null)
            {
                // SRTP that overtakes our side of the handshake (the client may send the moment it
                // has our Finished) is held briefly, bounded, instead of being lost.
                if (_handshakeStarted != 0 && _closed == 0 && _early.Count < MaxEarlyPackets)
                {
                    _early.Enqueue(packet.ToArray());
                    EarlyPacketsHeld++;
                }

                return;
            }
        }

        while (TakeEarly() is byte[] early)
        {
            Dispatch(early);
        }

        Dispatch(packet);
    }

    private byte[]? TakeEarly()
    {
        lock (_receiveLock)
        {
            return _early.Count > 0 ? _early.Dequeue() : null;
        }
    }

    private void Dispatch(Span<byte> packet)
    {
        bool rtcp = RtcpPacketType.IsRtcp(packet);
        int length;
        lock (_receiveLock)
        {
            var receiver = _receiver;
            if (receiver is null)
            {
                return;
            }

            bool ok = rtcp
                ? receiver.TryUnprotectRtcp(packet, packet.Length, out length)
                : receiver.TryUnprotectRtp(packet, packet.Length, out length);
            if (!ok)
            {
                return; // forged, replayed or damaged: dropped silently (RFC 3711 §3.3)
            }
        }

        try
        {
            if (rtcp)
            {
                RtcpReceived?.Invoke(this, packet[..length]);
            }
            else
            {
                RtpReceived?.Invoke(this, packet[..length]);
            }
        }
#pragma warning disable CA1031 // The receive thread serves every peer: one faulty handler must not silence them all.
        catch (Exception e)
#pragma warning restore CA1031
        {
            _transport.ReportHandlerFailure(this, e);
        }
    }
}
