using System.Collections.Concurrent;
using System.Buffers.Binary;
using Together.Rtc.Dtls;
using Together.Rtc.Srtp;
using Xunit;

namespace Together.Rtc.Tests.Dtls;

/// <summary>Our DTLS server against our DTLS client over an in-memory datagram link.</summary>
public sealed class DtlsTests : IDisposable
{
    private static readonly DtlsCertificate ServerCert = DtlsCertificate.Generate();
    private static readonly DtlsCertificate ClientCert = DtlsCertificate.Generate();
    private readonly List<Link> _links = [];
    private readonly DtlsHandshakeLimiter _limiter = new(16);

    /// <summary>Delivers datagrams on a thread of its own, as a socket would, recording sizes.</summary>
    private sealed class Link : IDisposable
    {
        private readonly BlockingCollection<byte[]> _queue = [];
        private readonly Thread _thread;

        public Link(Func<DtlsConnection> target)
        {
            _thread = new Thread(() =>
            {
                foreach (var datagram in _queue.GetConsumingEnumerable())
                {
                    target().Feed(datagram);
                }
            }) { IsBackground = true };
            _thread.Start();
        }

        public ConcurrentBag<int> Sizes { get; } = [];

        /// <summary>Returns true for a datagram to lose on the way (once it has decided).</summary>
        public Func<byte[], bool>? Drop { get; set; }

        public void Send(ReadOnlySpan<byte> datagram)
        {
            Sizes.Add(datagram.Length);
            if (Drop?.Invoke(datagram.ToArray()) == true)
            {
                return;
            }

            if (!_queue.IsAddingCompleted)
            {
                _queue.Add(datagram.ToArray());
            }
        }

        public void Dispose() => _queue.CompleteAdding();
    }

    private (DtlsConnection Server, DtlsConnection Client, Link ToClient, Link ToServer) Pair(
        DtlsFingerprint? serverExpects = null,
        DtlsFingerprint? clientExpects = null,
        IReadOnlyList<SrtpProfile>? clientProfiles = null)
    {
        DtlsConnection? server = null;
        DtlsConnection? client = null;
        var toClient = new Link(() => client!);
        var toServer = new Link(() => server!);
        _links.Add(toClient);
        _links.Add(toServer);
        server = new DtlsConnection(DtlsRole.Server, ServerCert, serverExpects ?? ClientCert.Fingerprint, toClient.Send);
        client = new DtlsConnection(DtlsRole.Client, ClientCert, clientExpects ?? ServerCert.Fingerprint, toServer.Send, clientProfiles);
        return (server, client, toClient, toServer);
    }

    [Fact]
    public async Task Handshake_prefers_gcm_and_both_sides_derive_matching_srtp_keys()
    {
        var (server, client, toClient, toServer) = Pair();
        SrtpKeyingMaterial? early = null;
        server.KeysReady += keys => early = keys; // raised inside the handshake, before the task completes
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var clientTask = client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var serverKeys = await serverTask;
        var clientKeys = await clientTask;
        Assert.Equal(SrtpProfile.AeadAes128Gcm, serverKeys.Profile);
        Assert.Same(serverKeys, early);
        Assert.Equal(SrtpProfile.AeadAes128Gcm, clientKeys.Profile);
        Assert.True(server.IsConnected);

        AssertKeysInterwork(clientKeys.CreateSender(), serverKeys.CreateReceiver());
        AssertKeysInterwork(serverKeys.CreateSender(), clientKeys.CreateReceiver());

        // Every datagram of the handshake fits the 1200-byte limit.
        Assert.All(toClient.Sizes.Concat(toServer.Sizes), size => Assert.InRange(size, 1, 1200));
        server.Dispose();
        client.Dispose();
    }

    [Fact]
    public async Task A_lost_server_finished_is_resent_after_the_handshake_without_a_waiting_thread()
    {
        var (server, client, toClient, _) = Pair();

        // Lose the server's first Finished (handshake record, epoch 1). The server's Accept has
        // already returned; only the post-handshake Feed path can answer the client's retransmission.
        int dropped = 0;
        toClient.Drop = d => d.Length > 13 && d[0] == 22 && d[3] == 0 && d[4] == 1 && Interlocked.Exchange(ref dropped, 1) == 0;
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var clientKeys = await client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var serverKeys = await serverTask;
        Assert.Equal(1, dropped);
        AssertKeysInterwork(clientKeys.CreateSender(), serverKeys.CreateReceiver());
        AssertKeysInterwork(serverKeys.CreateSender(), clientKeys.CreateReceiver());
    }

    [Fact]
    public async Task A_client_offering_only_aes_cm_gets_aes_cm()
    {
        var (server, client, _, _) = Pair(clientProfiles: [SrtpProfile.AesCm128HmacSha1Tag80]);
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var clientKeys = await client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var serverKeys = await serverTask;
        Assert.Equal(SrtpProfile.AesCm128HmacSha1Tag80, serverKeys.Profile);
        AssertKeysInterwork(clientKeys.CreateSender(), serverKeys.CreateReceiver());
    }

    [Fact]
    public async Task Server_preference_decides_among_the_offered_profiles()
    {
        DtlsConnection? server = null;
        DtlsConnection? client = null;
        var toClient = new Link(() => client!);
        var toServer = new Link(() => server!);
        _links.Add(toClient);
        _links.Add(toServer);
        server = new DtlsConnection(DtlsRole.Server, ServerCert, ClientCert.Fingerprint, toClient.Send, [SrtpProfile.AesCm128HmacSha1Tag80]);
        client = new DtlsConnection(DtlsRole.Client, ClientCert, ServerCert.Fingerprint, toServer.Send);
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var clientKeys = await client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        Assert.Equal(SrtpProfile.AesCm128HmacSha1Tag80, clientKeys.Profile);
        Assert.Equal(SrtpProfile.AesCm128HmacSha1Tag80, (await serverTask).Profile);
    }

    [Fact]
    public async Task Server_rejects_a_client_certificate_that_does_not_match_the_sdp_fingerprint()
    {
        var someoneElse = DtlsCertificate.Generate();
        var (server, client, _, _) = Pair(serverExpects: someoneElse.Fingerprint);
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var clientTask = client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<Exception>(() => serverTask);
        await Assert.ThrowsAnyAsync<Exception>(() => clientTask);
        Assert.False(server.IsConnected);
    }

    [Fact]
    public async Task Client_rejects_a_server_certificate_that_does_not_match()
    {
        var someoneElse = DtlsCertificate.Generate();
        var (server, client, _, _) = Pair(clientExpects: someoneElse.Fingerprint);
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        await Assert.ThrowsAnyAsync<Exception>(() => client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken));
        await Assert.ThrowsAnyAsync<Exception>(() => serverTask);
    }

    [Fact]
    public async Task Close_notify_from_the_client_raises_closed_on_the_server()
    {
        var (server, client, _, _) = Pair();
        var closed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        server.Closed += () => closed.TrySetResult();
        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        await client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        await serverTask;
        Assert.False(closed.Task.IsCompleted);
        client.Close();
        await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken);
        Assert.False(server.IsConnected);
    }

    [Fact]
    public async Task Garbage_datagrams_before_and_after_the_handshake_are_dropped()
    {
        var (server, client, _, _) = Pair();
        var random = new Random(9);
        var junk = new byte[300];
        for (int i = 0; i < 50; i++)
        {
            random.NextBytes(junk);
            junk[0] = (byte)(20 + (i % 44)); // looks like DTLS by its first byte
            server.Feed(junk.AsSpan(0, random.Next(1, junk.Length)));
        }

        var serverTask = server.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var clientKeys = await client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        var serverKeys = await serverTask;
        for (int i = 0; i < 50; i++)
        {
            random.NextBytes(junk);
            junk[0] = 23; // application_data, epoch 1: fails authentication inside BouncyCastle
            junk[1] = 0xFE;
            junk[2] = 0xFD;
            junk[3] = 0;
            junk[4] = 1;
            BinaryPrimitives.WriteUInt16BigEndian(junk.AsSpan(11), 100);
            server.Feed(junk.AsSpan(0, 113));
        }

        Assert.True(server.IsConnected);
        AssertKeysInterwork(clientKeys.CreateSender(), serverKeys.CreateReceiver());
    }

    [Fact]
    public async Task Concurrent_handshakes_are_bounded_by_the_limiter()
    {
        using var serverLimiter = new DtlsHandshakeLimiter(2);
        var pairs = Enumerable.Range(0, 5).Select(_ => Pair()).ToList();
        var serverTasks = pairs.Select(p => p.Server.HandshakeAsync(serverLimiter, TestContext.Current.CancellationToken)).ToList();
        var clientTasks = pairs.Select(p => p.Client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken)).ToList();
        await Task.WhenAll(serverTasks.Concat(clientTasks));
        Assert.InRange(serverLimiter.Peak, 1, 2);
        Assert.All(pairs, p => Assert.True(p.Server.IsConnected));
    }

    [Fact]
    public async Task The_limiter_queue_is_bounded_and_a_cancelled_wait_leaves_it()
    {
        var ct = TestContext.Current.CancellationToken;
        using var limiter = new DtlsHandshakeLimiter(1, maxWaiting: 2);
        using var release = new ManualResetEventSlim();
        var running = limiter.RunAsync(() => release.Wait(TimeSpan.FromSeconds(10)) ? 1 : -1, ct);
        using var cancelFirst = new CancellationTokenSource();
        var waiting1 = limiter.RunAsync(() => 2, cancelFirst.Token);
        var waiting2 = limiter.RunAsync(() => 3, ct);
        Assert.Equal(2, limiter.Waiting);

        // A third waiter finds the queue full and is refused at once.
        await Assert.ThrowsAsync<DtlsHandshakeRefusedException>(() => limiter.RunAsync(() => 4, ct));
        Assert.Equal(1, limiter.Refused);

        // A peer closing while it waits (its token cancelled) leaves the queue and makes room.
        await cancelFirst.CancelAsync();
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => waiting1);
        Assert.Equal(1, limiter.Waiting);
        var waiting3 = limiter.RunAsync(() => 5, ct);

        release.Set();
        Assert.Equal(1, await running);
        Assert.Equal(3, await waiting2);
        Assert.Equal(5, await waiting3);
        Assert.Equal(0, limiter.Waiting);
        Assert.Equal(1, limiter.Peak);
    }

    [Fact]
    public async Task A_client_that_stalls_after_its_client_hello_frees_the_slot_after_the_stall_timeout()
    {
        using var limiter = new DtlsHandshakeLimiter(1);
        var clientHello = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var client = new DtlsConnection(DtlsRole.Client, ClientCert, ServerCert.Fingerprint, d => clientHello.TrySetResult(d.ToArray()));
        var clientTask = client.HandshakeAsync(_limiter, TestContext.Current.CancellationToken);
        using var server = new DtlsConnection(DtlsRole.Server, ServerCert, ClientCert.Fingerprint, _ => { }, stallTimeout: TimeSpan.FromMilliseconds(500));
        server.Feed(await clientHello.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));

        // The server answers the ClientHello, then hears nothing more: given up after 0.5 s of
        // silence, not after the 10 s handshake timeout.
        var started = System.Diagnostics.Stopwatch.StartNew();
        var failure = await Assert.ThrowsAnyAsync<Exception>(() => server.HandshakeAsync(limiter, TestContext.Current.CancellationToken));
        Assert.InRange(started.Elapsed, TimeSpan.FromMilliseconds(400), TimeSpan.FromSeconds(4));
        Assert.Contains("sent nothing", failure.ToString(), StringComparison.Ordinal);
        Assert.Equal(7, await limiter.RunAsync(() => 7, TestContext.Current.CancellationToken)); // the slot is free

        client.Close();
        await Assert.ThrowsAnyAsync<Exception>(() => clientTask);
    }

    [Fact]
    public void Fingerprint_parses_and_matches_only_its_certificate()
    {
        Assert.True(DtlsFingerprint.TryParse(ServerCert.Fingerprint.ToString(), out var parsed));
        Assert.Equal(ServerCert.Fingerprint, parsed);
        Assert.True(parsed.Matches(ServerCert.Der));
        Assert.False(parsed.Matches(ClientCert.Der));
        Assert.Matches("^sha-256 ([0-9A-F]{2}:){31}[0-9A-F]{2}$", ServerCert.Fingerprint.ToString());
        Assert.True(DtlsFingerprint.TryParse("SHA-256 " + ServerCert.Fingerprint.Value.ToLowerInvariant(), out var lower));
        Assert.True(lower.Matches(ServerCert.Der));
        Assert.False(DtlsFingerprint.TryParse("sha-256 AB:CD", out _));
        Assert.False(DtlsFingerprint.TryParse("md5 " + ServerCert.Fingerprint.Value, out _));
    }

    private static void AssertKeysInterwork(SrtpSession sender, SrtpSession receiver)
    {
        using (sender)
        using (receiver)
        {
            var packet = new byte[200];
            packet[0] = 0x80;
            packet[1] = 111;
            packet[11] = 7;
            packet.AsSpan(12, 50).Fill(0x42);
            Assert.True(sender.TryProtectRtp(packet, 62, out int length));
            Assert.True(receiver.TryUnprotectRtp(packet, length, out int plain));
            Assert.Equal(62, plain);
            Assert.All(packet.AsSpan(12, 50).ToArray(), b => Assert.Equal(0x42, b));
        }
    }

    public void Dispose()
    {
        foreach (var link in _links)
        {
            link.Dispose();
        }

        _limiter.Dispose();
    }
}
