using Org.BouncyCastle.Tls;
using Together.Rtc.Srtp;

namespace Together.Rtc.Dtls;

public enum DtlsRole
{
    /// <summary>We answer the browser's ClientHello (a=setup:passive). The SFU's role.</summary>
    Server,

    /// <summary>We send the ClientHello (a=setup:active). Our own client peer's role.</summary>
    Client,
}

/// <summary>
/// Limits how many DTLS handshakes run at once. BouncyCastle's Accept/Connect block a thread for
/// the handshake's duration (~one round trip or two; a peer that goes quiet is given up after the
/// stall timeout); waiting handshakes wait asynchronously and hold no thread. The wait is bounded
/// too: beyond <see cref="MaxWaiting"/> a handshake is refused at once (the peer is closed), so a
/// burst of ClientHellos cannot queue work without end. A waiting handshake whose peer closes is
/// cancelled through its token and leaves the queue.
/// </summary>
public sealed class DtlsHandshakeLimiter(int maxConcurrent, int maxWaiting = 64) : IDisposable
{
    private readonly SemaphoreSlim _slots = new(maxConcurrent, maxConcurrent);
    private int _running;
    private int _waiting;
    private int _peak;
    private int _refused;

    public int MaxConcurrent { get; } = maxConcurrent;

    public int MaxWaiting { get; } = maxWaiting;

    /// <summary>Highest number of handshakes seen running at once (diagnostics, tests).</summary>
    public int Peak => Volatile.Read(ref _peak);

    /// <summary>Handshakes waiting for a slot now.</summary>
    public int Waiting => Volatile.Read(ref _waiting);

    /// <summary>Handshakes refused because the queue was full (diagnostics, tests).</summary>
    public int Refused => Volatile.Read(ref _refused);

    internal async Task<T> RunAsync<T>(Func<T> handshake, CancellationToken cancellationToken)
    {
        if (!_slots.Wait(0, CancellationToken.None))
        {
            if (Interlocked.Increment(ref _waiting) > MaxWaiting)
            {
                Interlocked.Decrement(ref _waiting);
                Interlocked.Increment(ref _refused);
                throw new DtlsHandshakeRefusedException($"DTLS handshake queue full ({MaxWaiting} waiting for {MaxConcurrent} slots)");
            }

            try
            {
                await _slots.WaitAsync(cancellationToken).ConfigureAwait(false);
            }
            finally
            {
                Interlocked.Decrement(ref _waiting);
            }
        }

        try
        {
            int running = Interlocked.Increment(ref _running);
            int peak;
            while (running > (peak = Volatile.Read(ref _peak)) && Interlocked.CompareExchange(ref _peak, running, peak) != peak)
            {
            }

            return await Task.Factory.StartNew(handshake, cancellationToken, TaskCreationOptions.LongRunning, TaskScheduler.Default)
                .ConfigureAwait(false);
        }
        finally
        {
            Interlocked.Decrement(ref _running);
            _slots.Release();
        }
    }

    public void Dispose() => _slots.Dispose();
}

/// <summary>The handshake limiter's queue was full; the handshake never started.</summary>
public sealed class DtlsHandshakeRefusedException(string message) : Exception(message);

/// <summary>
/// One DTLS-SRTP association. Feed it every DTLS datagram from the peer with <see cref="Feed"/>;
/// run the handshake with <see cref="HandshakeAsync"/>. After the handshake no thread waits on
/// this connection: later datagrams (a retransmitted Finished, close_notify) are processed by a
/// thread-pool work item, at most one at a time per connection, with a receive that never
/// blocks. Not by the caller of Feed: that is the transport's one receive thread, and
/// BouncyCastle's receive polls for ~1 ms per call, which a peer sending DTLS records in a loop
/// would turn into a stall for every other peer's media.
/// </summary>
public sealed class DtlsConnection : IDisposable
{
    private readonly DtlsRole _role;
    private readonly DtlsCertificate _local;
    private readonly DtlsFingerprint _remote;
    private readonly IReadOnlyList<SrtpProfile> _profiles;
    private readonly QueueDatagramTransport _transport;
    private readonly Lock _gate = new();
    private readonly byte[] _applicationData = new byte[QueueDatagramTransport.ReceiveLimit];
    private DtlsTransport? _dtls;
    private int _closedRaised;
    private int _drainScheduled;

    /// <param name="profiles">SRTP profiles: what a client offers, or what a server accepts, in preference order.</param>
    /// <param name="stallTimeout">
    /// During the handshake, how long the peer may send nothing before the handshake is given up.
    /// Default: <see cref="DefaultStallTimeout"/> for the server role, whose limiter slots a stalled
    /// browser would hold; none for the client role (our synthetic participants), which then
    /// waits for the 10 s handshake timeout rather than fail on a slow, busy machine.
    /// </param>
    public DtlsConnection(
        DtlsRole role,
        DtlsCertificate local,
        DtlsFingerprint remote,
        Action<ReadOnlySpan<byte>> send,
        IReadOnlyList<SrtpProfile>? profiles = null,
        TimeSpan? stallTimeout = null)
    {
        _role = role;
        _local = local;
        _remote = remote;
        _profiles = profiles ?? DefaultProfiles;
        var stall = stallTimeout ?? (role == DtlsRole.Server ? DefaultStallTimeout : TimeSpan.Zero);
        _transport = new QueueDatagramTransport(send, (int)stall.TotalMilliseconds);
        _transport.ClosedByProtocol += RaiseClosed;
    }

    /// <summary>AEAD_AES_128_GCM first (voice.md), AES_CM_128_HMAC_SHA1_80 accepted.</summary>
    public static IReadOnlyList<SrtpProfile> DefaultProfiles { get; } = [SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1Tag80];

    /// <summary>
    /// A live DTLS peer re-sends its flight when ours or its own is lost, on a retransmission
    /// timer that starts at 1 s (RFC 6347 §4.2.4.1) and doubles: it sends again 1 s and 3 s after
    /// its last flight. 4 s of silence mid-handshake therefore means it stalled (or lost three
    /// flights in a row): its limiter slot is freed then, not after the whole 10 s handshake
    /// timeout.
    /// </summary>
    public static TimeSpan DefaultStallTimeout { get; } = TimeSpan.FromSeconds(4);

    public DtlsRole Role => _role;

    public bool IsConnected => _dtls is not null && !_transport.IsClosed;

    /// <summary>Raised once when the peer sends close_notify or a fatal alert, or we close.</summary>
    public event Action? Closed;

    /// <summary>
    /// Raised on the handshake thread the moment SRTP keys exist (inside NotifyHandshakeComplete,
    /// before HandshakeAsync completes), so media arriving right after our Finished is not lost.
    /// </summary>
    public event Action<SrtpKeyingMaterial>? KeysReady;

    /// <summary>Runs the handshake on a limiter slot; throws if it fails or times out.</summary>
    public Task<SrtpKeyingMaterial> HandshakeAsync(DtlsHandshakeLimiter limiter, CancellationToken cancellationToken = default) =>
        limiter.RunAsync(RunHandshake, cancellationToken);

    private SrtpKeyingMaterial RunHandshake()
    {
        SrtpKeyingMaterial? keys;
        DtlsTransport dtls;
        if (_role == DtlsRole.Server)
        {
            var server = new DtlsSrtpServer(_local, _remote, _profiles, k => KeysReady?.Invoke(k));
            // ICE has already proven the path, so skip the HelloVerifyRequest cookie round trip.
            dtls = new DtlsServerProtocol { VerifyRequests = false }.Accept(server, _transport);
            keys = server.KeyingMaterial;
        }
        else
        {
            var client = new DtlsSrtpClient(_local, _remote, _profiles, k => KeysReady?.Invoke(k));
            dtls = new DtlsClientProtocol().Connect(client, _transport);
            keys = client.KeyingMaterial;
        }

        lock (_gate)
        {
            _transport.NonBlocking = true;
            _dtls = dtls;
        }

        // Records that arrived while the handshake finished (e.g. a retransmitted Finished).
        DrainPending();
        return keys ?? throw new TlsFatalAlert(AlertDescription.internal_error, "no keying material");
    }

    /// <summary>Hands a DTLS datagram (first byte 20..63) from the peer to this connection.</summary>
    public void Feed(ReadOnlySpan<byte> datagram)
    {
        _transport.Enqueue(datagram);
        if (_dtls is not null && Interlocked.Exchange(ref _drainScheduled, 1) == 0)
        {
            ThreadPool.UnsafeQueueUserWorkItem(static c => c.DrainScheduled(), this, preferLocal: false);
        }
    }

    private void DrainScheduled()
    {
        // Cleared first: a datagram queued from here on schedules another drain, none is stranded.
        Volatile.Write(ref _drainScheduled, 0);
        DrainPending();
    }

    private void DrainPending()
    {
        lock (_gate)
        {
            if (_dtls is null || _transport.IsClosed)
            {
                return;
            }

            try
            {
                // waitMillis must be > 0 (0 means "forever" to BouncyCastle); with the transport
                // non-blocking this returns once the queued records are processed, within ~1 ms.
                // Media never comes here: WebRTC audio has no DTLS application data.
                _dtls.Receive(_applicationData, 0, _applicationData.Length, 1);
            }
            catch (TlsFatalAlert)
            {
                _transport.Close();
            }
            catch (TlsFatalAlertReceived)
            {
                _transport.Close();
            }
            catch (IOException)
            {
                _transport.Close();
            }
        }
    }

    /// <summary>Sends close_notify (if connected) and releases the association.</summary>
    public void Close()
    {
        lock (_gate)
        {
            try
            {
                _dtls?.Close();
            }
            catch (IOException)
            {
                // The peer is gone; nothing else to do.
            }

            _transport.Close();
        }
    }

    private void RaiseClosed()
    {
        // A failing handshake closes the transport too; that is reported by HandshakeAsync
        // throwing, so Closed means "an established association ended".
        if (_dtls is not null && Interlocked.Exchange(ref _closedRaised, 1) == 0)
        {
            Closed?.Invoke();
        }
    }

    public void Dispose() => Close();
}
