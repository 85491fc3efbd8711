using System.Buffers.Binary;
using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Together.Rtc.Client;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;
using Together.Rtc.Srtp;
using Together.Rtc.Stun;
using Together.Rtc.Transport;
using Xunit;

namespace Together.Rtc.Tests.Transport;

/// <summary>The shared-socket transport over 127.0.0.1: ICE-lite answers, DTLS, SRTP, consent.</summary>
public sealed class TransportTests : IDisposable
{
    private static readonly DtlsCertificate ServerCert = DtlsCertificate.Generate();
    private readonly RtcTransport _transport = RtcTransport.Start(new RtcTransportOptions { Certificate = ServerCert });
    private readonly DtlsHandshakeLimiter _clientLimiter = new(8);
    private readonly Socket _raw = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    public TransportTests()
    {
        _raw.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        _raw.ReceiveTimeout = 300;
    }

    private static byte[] Check(RtcPeer peer, string password, string remoteUfrag = "cli1", bool useCandidate = false, bool controlled = false, string? localUfrag = null)
    {
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, RandomNumberGenerator.GetBytes(12));
        w.AddUsername($"{localUfrag ?? peer.Local.Ufrag}:{remoteUfrag}");
        if (controlled)
        {
            w.AddIceControlled(1);
        }
        else
        {
            w.AddIceControlling(1);
        }

        w.AddPriority(12345);
        if (useCandidate)
        {
            w.AddUseCandidate();
        }

        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(password));
        w.AddFingerprint();
        return w.Written.ToArray();
    }

    private StunMessage? Exchange(byte[] request, RtcTransport? transport = null)
    {
        _raw.SendTo(request, (transport ?? _transport).LocalEndPoint);
        var buffer = new byte[1500];
        try
        {
            int n = _raw.Receive(buffer);
            Assert.True(StunMessage.TryParse(buffer.AsSpan(0, n), out var response));
            Assert.Equal(request.AsSpan(8, 12).ToArray(), response.TransactionId.ToArray());
            return response;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    [Fact]
    public void Valid_check_gets_an_authenticated_success_with_the_mapped_address()
    {
        var peer = _transport.CreatePeer();
        var response = Exchange(Check(peer, peer.Local.Password, useCandidate: true));
        Assert.NotNull(response);
        Assert.Equal(StunClass.SuccessResponse, response.Class);
        Assert.Equal(_raw.LocalEndPoint, response.XorMappedAddress);
        Assert.True(response.HasFingerprint);
        Assert.True(response.VerifyMessageIntegrity(Encoding.UTF8.GetBytes(peer.Local.Password)));
        Assert.Equal(RtcPeerState.Checking, peer.State);
        Assert.Equal(_raw.LocalEndPoint, peer.RemoteEndPoint);
    }

    [Fact]
    public void Wrong_password_gets_401_unknown_ufrag_gets_nothing_controlled_gets_487()
    {
        var peer = _transport.CreatePeer();
        var unauthorized = Exchange(Check(peer, "not-the-password-at-all"));
        Assert.NotNull(unauthorized);
        Assert.Equal(StunClass.ErrorResponse, unauthorized.Class);
        Assert.Equal(401, unauthorized.ErrorCode);
        Assert.Equal(RtcPeerState.New, peer.State);
        Assert.Null(peer.RemoteEndPoint);

        Assert.Null(Exchange(Check(peer, peer.Local.Password, localUfrag: "nobody")));

        var conflict = Exchange(Check(peer, peer.Local.Password, controlled: true));
        Assert.NotNull(conflict);
        Assert.Equal(487, conflict.ErrorCode);

        // Once the remote ufrag is known, a check naming another one is refused.
        peer.SetRemote("cli1", DtlsCertificate.Generate().Fingerprint);
        Assert.Equal(401, Exchange(Check(peer, peer.Local.Password, remoteUfrag: "cli2"))?.ErrorCode);
        Assert.Equal(StunClass.SuccessResponse, Exchange(Check(peer, peer.Local.Password, remoteUfrag: "cli1"))?.Class);
    }

    [Fact]
    public void Garbage_of_every_kind_does_not_stop_the_transport()
    {
        var peer = _transport.CreatePeer();
        Assert.NotNull(Exchange(Check(peer, peer.Local.Password, useCandidate: true)));
        var random = new Random(1);
        var junk = new byte[400];
        foreach (byte first in new byte[] { 0, 1, 3, 20, 22, 23, 63, 64, 128, 0x80, 0x90, 191, 200, 255 })
        {
            for (int i = 0; i < 20; i++)
            {
                random.NextBytes(junk);
                junk[0] = first;
                _raw.SendTo(junk.AsSpan(0, random.Next(1, junk.Length)), SocketFlags.None, _transport.LocalEndPoint);
            }

            // After each kind of junk the transport still answers (paced so no UDP is dropped).
            var response = Exchange(Check(peer, peer.Local.Password));
            Assert.Equal(StunClass.SuccessResponse, response?.Class);
        }
    }

    public static TheoryData<SrtpProfile> Profiles => new(SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1Tag80);

    [Theory]
    [MemberData(nameof(Profiles))]
    public async Task Client_peer_connects_and_media_flows_both_ways(SrtpProfile profile)
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new RtcClientPeer(profiles: [profile]);
        var peer = _transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Connected += _ => connected.TrySetResult();
        var serverGotRtp = new TaskCompletionSource<(uint Ssrc, byte[] Payload)>(TaskCreationOptions.RunContinuationsAsynchronously);
        var serverGotRtcp = new TaskCompletionSource<uint>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.RtpReceived += (_, packet) =>
        {
            Assert.True(RtpPacket.TryParse(packet, out var rtp));
            serverGotRtp.TrySetResult((rtp.Ssrc, rtp.Payload.ToArray()));
        };
        peer.RtcpReceived += (_, packet) =>
        {
            Assert.True(RtcpCompound.TryParse(packet, out var list));
            serverGotRtcp.TrySetResult(Assert.IsType<RtcpReceiverReport>(list[0]).Ssrc);
        };
        var clientGotRtp = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        client.RtpReceived += packet =>
        {
            Assert.True(RtpPacket.TryParse(packet, out var rtp));
            clientGotRtp.TrySetResult(rtp.Payload.ToArray());
        };

        await client.ConnectAsync(_transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, ServerCert.Fingerprint, _clientLimiter, cancellationToken: ct);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(RtcPeerState.Connected, peer.State);
        Assert.Equal(profile, peer.Profile);
        Assert.Equal(client.LocalEndPoint, peer.RemoteEndPoint);

        var packet = new byte[100];
        int header = RtpPacket.WriteHeader(packet, 111, true, 1, 960, 0xC0FFEE);
        "hello from the client"u8.CopyTo(packet.AsSpan(header));
        Assert.True(client.SendRtp(packet.AsSpan(0, header + 21)));
        var got = await serverGotRtp.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
        Assert.Equal(0xC0FFEEu, got.Ssrc);
        Assert.Equal("hello from the client"u8.ToArray(), got.Payload);

        var rtcp = new byte[64];
        var writer = new RtcpWriter(rtcp);
        writer.WriteReceiverReport(0xC0FFEE);
        Assert.True(client.SendRtcp(writer.Written));
        Assert.Equal(0xC0FFEEu, await serverGotRtcp.Task.WaitAsync(TimeSpan.FromSeconds(5), ct));

        header = RtpPacket.WriteHeader(packet, 111, false, 7, 1920, 0xBEEF);
        "hello from the server"u8.CopyTo(packet.AsSpan(header));
        Assert.True(peer.SendRtp(packet.AsSpan(0, header + 21)));
        Assert.Equal("hello from the server"u8.ToArray(), await clientGotRtp.Task.WaitAsync(TimeSpan.FromSeconds(5), ct));
    }

    [Fact]
    public async Task Close_notify_from_the_client_closes_the_server_peer()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new RtcClientPeer();
        var peer = _transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Closed += (_, reason) => closed.TrySetResult(reason);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Connected += _ => connected.TrySetResult();
        await client.ConnectAsync(_transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, ServerCert.Fingerprint, _clientLimiter, cancellationToken: ct);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        Assert.Equal(1, _transport.PeerCount);

        client.CloseDtls();
        Assert.Contains("DTLS", await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), ct), StringComparison.Ordinal);
        Assert.Equal(RtcPeerState.Closed, peer.State);
        Assert.Equal(0, _transport.PeerCount);
        Assert.False(peer.SendRtp(new byte[20]));
        Assert.Null(Exchange(Check(peer, peer.Local.Password))); // its ufrag is gone
    }

    [Fact]
    public async Task A_throwing_handler_is_reported_and_does_not_stop_the_receive_thread()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new RtcClientPeer();
        var peer = _transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var failures = new ConcurrentQueue<Exception>();
        var twoFailures = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        _transport.HandlerFailed += (_, e) =>
        {
            failures.Enqueue(e);
            if (failures.Count == 2)
            {
                twoFailures.TrySetResult();
            }
        };
        peer.RtpReceived += (_, _) => throw new InvalidOperationException("handler bug");
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Connected += _ => connected.TrySetResult();
        await client.ConnectAsync(_transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, ServerCert.Fingerprint, _clientLimiter, cancellationToken: ct);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var packet = new byte[40];
        for (ushort seq = 1; seq <= 2; seq++)
        {
            int length = RtpPacket.WriteHeader(packet, 111, false, seq, seq, 1) + 10;
            Assert.True(client.SendRtp(packet.AsSpan(0, length)));
        }

        await twoFailures.Task.WaitAsync(TimeSpan.FromSeconds(5), ct);
        Assert.All(failures, e => Assert.Equal("handler bug", e.Message));
        Assert.Equal(StunClass.SuccessResponse, (await client.CheckAsync(useCandidate: false, ct)).Class);
    }

    [Fact]
    public async Task A_client_with_the_wrong_certificate_never_connects()
    {
        var ct = TestContext.Current.CancellationToken;
        using var client = new RtcClientPeer();
        var peer = _transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, DtlsCertificate.Generate().Fingerprint);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Closed += (_, reason) => closed.TrySetResult(reason);
        await Assert.ThrowsAnyAsync<Exception>(() => client.ConnectAsync(
            _transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, ServerCert.Fingerprint, _clientLimiter, cancellationToken: ct));
        Assert.Contains("handshake failed", await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), ct), StringComparison.Ordinal);
        Assert.NotEqual(RtcPeerState.Connected, peer.State);
    }

    [Fact]
    public async Task Peer_is_dropped_after_30_seconds_without_consent()
    {
        var time = new FakeTimeProvider();
        using var transport = RtcTransport.Start(new RtcTransportOptions { Certificate = ServerCert, TimeProvider = time });
        var peer = transport.CreatePeer();
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Closed += (_, reason) => closed.TrySetResult(reason);
        Assert.NotNull(Exchange(Check(peer, peer.Local.Password, useCandidate: true), transport));

        time.Advance(TimeSpan.FromSeconds(20));
        Assert.NotNull(Exchange(Check(peer, peer.Local.Password), transport)); // consent refreshed at t=20
        time.Advance(TimeSpan.FromSeconds(25));
        Assert.Equal(RtcPeerState.Checking, peer.State);
        time.Advance(TimeSpan.FromSeconds(6)); // 31 s after the last check
        Assert.Equal("ICE consent expired", await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
        Assert.Equal(0, transport.PeerCount);
    }

    private static StunMessage? ExchangeFrom(Socket socket, byte[] request, RtcTransport transport)
    {
        socket.SendTo(request, transport.LocalEndPoint);
        var buffer = new byte[1500];
        try
        {
            int n = socket.Receive(buffer);
            return StunMessage.TryParse(buffer.AsSpan(0, n), out var response) ? response : null;
        }
        catch (SocketException e) when (e.SocketErrorCode == SocketError.TimedOut)
        {
            return null;
        }
    }

    private static Socket RawSocket()
    {
        var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp) { ReceiveTimeout = 300 };
        socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        return socket;
    }

    [Fact]
    public void Use_candidate_from_a_second_address_moves_the_path_and_unmaps_the_old_address()
    {
        using var second = RawSocket();
        var peer = _transport.CreatePeer();
        Assert.Equal(StunClass.SuccessResponse, Exchange(Check(peer, peer.Local.Password))?.Class);
        Assert.Equal(_raw.LocalEndPoint, peer.RemoteEndPoint);
        Assert.Equal(1, _transport.AddressMappings);

        // A check without USE-CANDIDATE from elsewhere is answered but moves nothing.
        Assert.Equal(StunClass.SuccessResponse, ExchangeFrom(second, Check(peer, peer.Local.Password), _transport)?.Class);
        Assert.Equal(_raw.LocalEndPoint, peer.RemoteEndPoint);
        Assert.Equal(1, _transport.AddressMappings);

        // Nominated from the second address: the path moves there, the first address is unmapped.
        Assert.Equal(StunClass.SuccessResponse, ExchangeFrom(second, Check(peer, peer.Local.Password, useCandidate: true), _transport)?.Class);
        Assert.Equal(second.LocalEndPoint, peer.RemoteEndPoint);
        Assert.Equal(1, _transport.AddressMappings);

        // And back, by a nomination from the first address.
        Assert.Equal(StunClass.SuccessResponse, Exchange(Check(peer, peer.Local.Password, useCandidate: true))?.Class);
        Assert.Equal(_raw.LocalEndPoint, peer.RemoteEndPoint);
        Assert.Equal(1, _transport.AddressMappings);

        peer.Close();
        Assert.Equal(0, _transport.AddressMappings);
    }

    [Fact]
    public async Task Consent_is_refreshed_only_by_checks_on_the_selected_path()
    {
        var time = new FakeTimeProvider();
        using var transport = RtcTransport.Start(new RtcTransportOptions { Certificate = ServerCert, TimeProvider = time });
        using var second = RawSocket();
        var peer = transport.CreatePeer();
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Closed += (_, reason) => closed.TrySetResult(reason);
        Assert.NotNull(Exchange(Check(peer, peer.Local.Password, useCandidate: true), transport));

        // RFC 7675: valid checks from another address every 10 s keep nothing alive.
        for (int i = 0; i < 3; i++)
        {
            time.Advance(TimeSpan.FromSeconds(10));
            Assert.Equal(StunClass.SuccessResponse, ExchangeFrom(second, Check(peer, peer.Local.Password), transport)?.Class);
        }

        time.Advance(TimeSpan.FromSeconds(1)); // 31 s after the last check on the selected path
        Assert.Equal("ICE consent expired", await closed.Task.WaitAsync(TimeSpan.FromSeconds(5), TestContext.Current.CancellationToken));
    }

    [Theory]
    [InlineData("passive")]
    [InlineData("actpass")]
    [InlineData("holdconn")]
    public void An_answer_that_does_not_make_us_the_dtls_server_is_refused(string setup)
    {
        var peer = _transport.CreatePeer();
        var answer = new SdpSessionDescription();
        var media = new SdpMediaSection { Mid = "0", IceUfrag = "cli1", IcePwd = "0123456789abcdefghijklmn", Fingerprint = ServerCert.Fingerprint, Setup = setup };
        answer.Media.Add(media);
        var error = Assert.Throws<ArgumentException>(() => peer.SetRemote(answer));
        Assert.Contains($"a=setup:{setup}", error.Message, StringComparison.Ordinal);
        Assert.Null(peer.RemoteUfrag);

        // Active, or no a=setup at all (RFC 4145: active), is what we need.
        media.Setup = null;
        Assert.Null(RtcPeer.CheckAnswer(answer));
        media.Setup = "active";
        peer.SetRemote(answer);
        Assert.Equal("cli1", peer.RemoteUfrag);

        media.Fingerprint = null;
        Assert.Contains("fingerprint", RtcPeer.CheckAnswer(answer), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Handshakes_beyond_the_queue_are_refused_a_closed_peer_leaves_the_queue_and_a_stalled_one_frees_its_slot()
    {
        var ct = TestContext.Current.CancellationToken;
        using var transport = RtcTransport.Start(new RtcTransportOptions
        {
            Certificate = ServerCert,
            MaxConcurrentHandshakes = 1,
            MaxWaitingHandshakes = 1,
            HandshakeStallTimeout = TimeSpan.FromSeconds(4), // room for B and C to queue up first on a busy machine
        });
        var limiter = transport.HandshakeLimiter;

        // A: a ClientHello from an ICE-checked address, then silence. It holds the only slot.
        var stalled = transport.CreatePeer();
        var clientCert = DtlsCertificate.Generate();
        stalled.SetRemote("cli1", clientCert.Fingerprint);
        var stalledClosed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        stalled.Closed += (_, reason) => stalledClosed.TrySetResult(reason);
        Assert.Equal(StunClass.SuccessResponse, Exchange(Check(stalled, stalled.Local.Password, useCandidate: true), transport)?.Class);
        var hello = new TaskCompletionSource<byte[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        using var helloSource = new DtlsConnection(DtlsRole.Client, clientCert, ServerCert.Fingerprint, d => hello.TrySetResult(d.ToArray()));
        var helloTask = helloSource.HandshakeAsync(_clientLimiter, ct);
        _raw.SendTo(await hello.Task.WaitAsync(TimeSpan.FromSeconds(5), ct), transport.LocalEndPoint);
        var started = Stopwatch.StartNew();
        await WaitUntil(() => limiter.Peak == 1, TimeSpan.FromSeconds(5), ct);

        // B waits for the slot; C finds the queue full and is closed.
        using var clientB = new RtcClientPeer();
        using var clientC = new RtcClientPeer();
        using var giveUp = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var (waiting, _, connectB) = StartConnect(transport, clientB, giveUp.Token);
        await WaitUntil(() => limiter.Waiting == 1, TimeSpan.FromSeconds(5), ct);
        var (_, refusedClosed, connectC) = StartConnect(transport, clientC, giveUp.Token);
        Assert.Contains("queue full", await refusedClosed.WaitAsync(TimeSpan.FromSeconds(3), ct), StringComparison.Ordinal);
        Assert.Equal(1, limiter.Refused);

        // B closes while waiting: its wait is cancelled, the queue is empty again.
        waiting.Close("left");
        await WaitUntil(() => limiter.Waiting == 0, TimeSpan.FromSeconds(2), ct);
        Assert.Equal(0, limiter.Waiting);

        // A is given up after 4 s of silence, before the 10 s handshake timeout.
        Assert.Contains("sent nothing", await stalledClosed.Task.WaitAsync(TimeSpan.FromSeconds(8), ct), StringComparison.Ordinal);
        Assert.InRange(started.Elapsed, TimeSpan.FromSeconds(3.5), TimeSpan.FromSeconds(9));
        Assert.Equal(1, limiter.Peak);

        await giveUp.CancelAsync();
        helloSource.Close();
        clientB.Dispose();
        clientC.Dispose();
        foreach (var task in new[] { helloTask, connectB, connectC })
        {
            await Assert.ThrowsAnyAsync<Exception>(() => task.WaitAsync(TimeSpan.FromSeconds(15), ct));
        }
    }

    private (RtcPeer Peer, Task<string> Closed, Task Connect) StartConnect(RtcTransport transport, RtcClientPeer client, CancellationToken ct)
    {
        var peer = transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var closed = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Closed += (_, reason) => closed.TrySetResult(reason);
        return (peer, closed.Task, client.ConnectAsync(transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, ServerCert.Fingerprint, _clientLimiter, cancellationToken: ct));
    }

    /// <summary>A server peer for <paramref name="client"/>, connected (DTLS done, SRTP keyed).</summary>
    private async Task<RtcPeer> ConnectAsync(RtcClientPeer client, CancellationToken ct, RtcTransport? transport = null)
    {
        transport ??= _transport;
        var peer = transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Connected += _ => connected.TrySetResult();
        await client.ConnectAsync(transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, transport.Certificate.Fingerprint, _clientLimiter, cancellationToken: ct);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        return peer;
    }

    [Fact]
    public async Task A_peer_flooding_dtls_records_does_not_stall_media_from_the_others()
    {
        var ct = TestContext.Current.CancellationToken;
        using var flooder = new RtcClientPeer();
        using var talker = new RtcClientPeer();
        var floodPeer = await ConnectAsync(flooder, ct);
        var talkPeer = await ConnectAsync(talker, ct);
        var latencies = new ConcurrentQueue<double>();
        talkPeer.RtpReceived += (_, packet) =>
        {
            Assert.True(RtpPacket.TryParse(packet, out var rtp));
            latencies.Enqueue(Stopwatch.GetElapsedTime(BinaryPrimitives.ReadInt64BigEndian(rtp.Payload)).TotalMilliseconds);
        };

        // 3000 application_data records of an established association (each fails authentication
        // inside BouncyCastle): processed on the receive thread, ~1 ms apiece, they stalled every
        // peer for seconds. Sent over ~1 s while the other peer talks at 100 packets/s.
        var flood = Task.Run(
            async () =>
            {
                var record = new byte[113];
                record[0] = 23;
                record[1] = 0xFE;
                record[2] = 0xFD;
                record[4] = 1;
                BinaryPrimitives.WriteUInt16BigEndian(record.AsSpan(11), 100);
                for (int burst = 0; burst < 30; burst++)
                {
                    for (int i = 0; i < 100; i++)
                    {
                        BinaryPrimitives.WriteInt32BigEndian(record.AsSpan(13), (burst * 100) + i);
                        flooder.SendDatagram(record);
                    }

                    await Task.Delay(30, ct);
                }
            },
            ct);
        var packet = new byte[60];
        for (ushort seq = 1; seq <= 100; seq++)
        {
            int header = RtpPacket.WriteHeader(packet, 111, false, seq, seq * 960u, 0xA11CE);
            BinaryPrimitives.WriteInt64BigEndian(packet.AsSpan(header), Stopwatch.GetTimestamp());
            Assert.True(talker.SendRtp(packet.AsSpan(0, header + 8)));
            await Task.Delay(10, ct);
        }

        await flood;
        await WaitUntil(() => latencies.Count >= 100, TimeSpan.FromSeconds(5), ct);
        Assert.True(latencies.Count >= 95, $"{latencies.Count} of 100 packets arrived");
        Assert.True(latencies.Max() < 250, $"worst latency {latencies.Max():F0} ms");
        Assert.True(floodPeer.DtlsDropped > 2500, $"{floodPeer.DtlsDropped} DTLS datagrams dropped");
        Assert.Equal(RtcPeerState.Connected, floodPeer.State);
    }

    private static async Task WaitUntil(Func<bool> condition, TimeSpan timeout, CancellationToken ct)
    {
        var deadline = Stopwatch.GetTimestamp() + (long)(timeout.TotalSeconds * Stopwatch.Frequency);
        while (!condition() && Stopwatch.GetTimestamp() < deadline)
        {
            await Task.Delay(20, ct);
        }
    }

    public void Dispose()
    {
        _raw.Dispose();
        _transport.Dispose();
        _clientLimiter.Dispose();
    }
}
