using System.Collections.Concurrent;
using Together.Rtc.Client;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;
using Together.Rtc.Transport;
using Xunit;

namespace Together.Rtc.Tests.Loopback;

/// <summary>
/// Our client peer against our server transport over 127.0.0.1, signalled with our own SDP:
/// ICE, DTLS, SRTP and Opus end to end, with the server forwarding like the SFU will
/// (unprotect, rewrite SSRC/sequence/timestamp, protect).
/// </summary>
public sealed class LoopbackTests : IDisposable
{
    private const int Frames = 50;
    private readonly RtcTransport _transport = RtcTransport.Start();
    private readonly DtlsHandshakeLimiter _clientLimiter = new(4);

    [Fact]
    public async Task Opus_goes_up_is_decoded_at_the_server_and_comes_back_decoded_at_the_client()
    {
        var ct = TestContext.Current.CancellationToken;

        var failures = new ConcurrentQueue<Exception>();
        _transport.HandlerFailed += (_, e) => failures.Enqueue(e);

        // Signalling: the server offers, the client answers.
        var peer = _transport.CreatePeer();
        var offerBuilder = new SdpOfferBuilder(peer.Local, _transport.Certificate.Fingerprint, _transport.LocalEndPoint);
        offerBuilder.AddAudio(SdpDirection.SendRecv, ssrc: 0x5EB0, cname: "sfu", streamId: "echo", trackId: "echo-audio");
        Assert.True(SdpParser.TryParse(offerBuilder.BuildOffer().ToString(), out var offer));

        using var client = new RtcClientPeer();
        var answer = new SdpSessionDescription { SessionId = 1, Version = 1 };
        answer.Bundle.Add(offer.Media[0].Mid!);
        var section = new SdpMediaSection
        {
            Mid = offer.Media[0].Mid,
            IceUfrag = client.Local.Ufrag,
            IcePwd = client.Local.Password,
            Fingerprint = client.Certificate.Fingerprint,
            Setup = "active",
            Direction = SdpDirection.SendRecv,
        };
        section.Codecs.Add(offer.Media[0].FindCodec("opus")!);
        section.Extmaps.Add(new SdpExtmap(offer.Media[0].ExtmapId(SdpExtmap.AudioLevelUri)!.Value, SdpExtmap.AudioLevelUri));
        answer.Media.Add(section);
        Assert.True(SdpParser.TryParse(answer.ToString(), out var parsedAnswer));
        Assert.Equal("active", parsedAnswer.EffectiveSetup);
        peer.SetRemote(parsedAnswer);

        // Server side: decode what arrives, check the audio level, forward it back rewritten.
        var upstream = new OpusRtpReceiver();
        var upstreamLevels = new ConcurrentBag<int>();
        ushort outSequence = 1000;
        uint outTimestamp = 0;
        int audioLevelId = offer.Media[0].ExtmapId(SdpExtmap.AudioLevelUri)!.Value;
        var forward = new byte[1500];
        var serverPcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels * 6];
        peer.RtpReceived += (p, packet) =>
        {
            Assert.True(RtpPacket.TryParse(packet, out var rtp));
            if (AudioLevel.TryRead(rtp, audioLevelId, out byte level, out _))
            {
                upstreamLevels.Add(level);
            }

            Assert.Equal(OpusRtpSender.FrameSamples, upstream.Decode(packet, serverPcm));
            packet.CopyTo(forward);
            RtpPacket.SetSsrc(forward, 0x5EB0);
            RtpPacket.SetSequenceNumber(forward, outSequence++);
            RtpPacket.SetTimestamp(forward, outTimestamp);
            outTimestamp += OpusRtpSender.FrameSamples;
            Assert.True(p.SendRtp(forward.AsSpan(0, packet.Length)));
        };

        // Client side: decode what comes back.
        var downstream = new OpusRtpReceiver();
        var received = new List<short>();
        var allBack = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientPcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels * 6];
        var ssrcs = new ConcurrentBag<uint>();
        client.RtpReceived += packet =>
        {
            Assert.True(RtpPacket.TryParse(packet, out var rtp));
            ssrcs.Add(rtp.Ssrc);
            int samples = downstream.Decode(packet, clientPcm);
            lock (received)
            {
                received.AddRange(clientPcm.AsSpan(0, samples * OpusRtpSender.Channels).ToArray());
            }

            if (downstream.FramesDecoded == Frames)
            {
                allBack.TrySetResult();
            }
        };

        var offerFingerprint = offer.EffectiveFingerprint!;
        var candidate = offer.Media[0].Candidates[0];
        var remote = new System.Net.IPEndPoint(System.Net.IPAddress.Parse(candidate.Address), candidate.Port);
        await client.ConnectAsync(remote, offer.EffectiveIceUfrag!, offer.EffectiveIcePwd!, offerFingerprint, _clientLimiter, cancellationToken: ct);

        var sender = new OpusRtpSender(ssrc: 0xA11CE);
        var pcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels];
        var packetBuffer = new byte[1500];
        for (int frame = 0; frame < Frames; frame++)
        {
            Tone(pcm, frame, 440, 8000);
            int length = sender.Write(pcm, packetBuffer);
            Assert.True(client.SendRtp(packetBuffer.AsSpan(0, length)));
            if (frame % 10 == 9)
            {
                await Task.Delay(5, ct); // a little pacing, as a real 20 ms clock would give
            }
        }

        await Task.WhenAny(allBack.Task, Task.Delay(TimeSpan.FromSeconds(10), ct));
        Assert.True(allBack.Task.IsCompleted, $"client decoded {downstream.FramesDecoded}, server decoded {upstream.FramesDecoded} of {Frames}; handler failures: {string.Join("; ", failures.Select(f => f.Message))}");
        Assert.Equal(Frames, upstream.FramesDecoded);
        Assert.All(ssrcs, s => Assert.Equal(0x5EB0u, s));

        // -20·log10(8000/32768·(1/√2)) ≈ 15 dBov for a sine of amplitude 8000.
        Assert.All(upstreamLevels, l => Assert.InRange(l, 13, 17));

        // The decoded audio at the far end is still a 440 Hz tone (skip the codec's start-up).
        short[] left;
        lock (received)
        {
            left = received.Where((_, i) => i % 2 == 0).Skip(OpusRtpSender.FrameSamples * 10).ToArray();
        }

        double at440 = Goertzel(left, 440);
        double at1000 = Goertzel(left, 1000);
        Assert.True(at440 > 20 * at1000, $"440 Hz power {at440:E2} vs 1 kHz {at1000:E2}");
    }

    [Fact]
    public async Task Three_participants_on_one_socket_each_hear_the_other_two()
    {
        var ct = TestContext.Current.CancellationToken;
        const int participants = 3;
        var clients = new List<RtcClientPeer>();
        var peers = new List<RtcPeer>();
        var heard = new ConcurrentDictionary<(int Listener, uint Ssrc), int>();
        try
        {
            for (int i = 0; i < participants; i++)
            {
                var client = new RtcClientPeer();
                clients.Add(client);
                var peer = _transport.CreatePeer();
                peers.Add(peer);
                peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
                int listener = i;
                client.RtpReceived += packet =>
                {
                    Assert.True(RtpPacket.TryParse(packet, out var rtp));
                    heard.AddOrUpdate((listener, rtp.Ssrc), 1, (_, n) => n + 1);
                };
            }

            // The forwarding step an SFU does: every packet to every other participant, with the
            // SSRC that identifies the speaker on the listener's side.
            for (int i = 0; i < participants; i++)
            {
                int speaker = i;
                var buffer = new byte[1500];
                peers[i].RtpReceived += (_, packet) =>
                {
                    for (int j = 0; j < participants; j++)
                    {
                        if (j != speaker)
                        {
                            packet.CopyTo(buffer);
                            RtpPacket.SetSsrc(buffer, 0x1000u + (uint)speaker);
                            peers[j].SendRtp(buffer.AsSpan(0, packet.Length));
                        }
                    }
                };
            }

            var connects = new List<Task>();
            for (int i = 0; i < participants; i++)
            {
                connects.Add(clients[i].ConnectAsync(_transport.LocalEndPoint, peers[i].Local.Ufrag, peers[i].Local.Password, _transport.Certificate.Fingerprint, _clientLimiter, cancellationToken: ct));
            }

            await Task.WhenAll(connects);
            var deadline = DateTime.UtcNow.AddSeconds(10);
            while (peers.Any(p => p.State != RtcPeerState.Connected) && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct);
            }

            Assert.All(peers, p => Assert.Equal(RtcPeerState.Connected, p.State));
            Assert.Equal(participants, peers.Select(p => p.RemoteEndPoint).Distinct().Count());

            var senders = Enumerable.Range(0, participants).Select(i => new OpusRtpSender(ssrc: 0xA000u + (uint)i)).ToList();
            var pcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels];
            var packetBuffer = new byte[1500];
            for (int frame = 0; frame < 10; frame++)
            {
                for (int i = 0; i < participants; i++)
                {
                    Tone(pcm, frame, 300 + (100 * i), 4000);
                    int length = senders[i].Write(pcm, packetBuffer);
                    Assert.True(clients[i].SendRtp(packetBuffer.AsSpan(0, length)));
                }

                await Task.Delay(2, ct);
            }

            deadline = DateTime.UtcNow.AddSeconds(5);
            while (heard.Values.Sum() < participants * (participants - 1) * 10 && DateTime.UtcNow < deadline)
            {
                await Task.Delay(20, ct);
            }

            for (int listener = 0; listener < participants; listener++)
            {
                for (int speaker = 0; speaker < participants; speaker++)
                {
                    int count = heard.GetValueOrDefault((listener, 0x1000u + (uint)speaker));
                    Assert.Equal(listener == speaker ? 0 : 10, count);
                }
            }
        }
        finally
        {
            foreach (var client in clients)
            {
                client.Dispose();
            }
        }
    }

    [Fact]
    public async Task Rtcp_flows_both_ways_after_connect()
    {
        var ct = TestContext.Current.CancellationToken;
        var peer = _transport.CreatePeer();
        using var client = new RtcClientPeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var serverGot = new TaskCompletionSource<RtcpPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        var clientGot = new TaskCompletionSource<RtcpPacket>(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.RtcpReceived += (_, packet) => serverGot.TrySetResult(RtcpCompound.TryParse(packet, out var l) ? l[0] : throw new InvalidOperationException());
        client.RtcpReceived += packet => clientGot.TrySetResult(RtcpCompound.TryParse(packet, out var l) ? l[0] : throw new InvalidOperationException());
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Connected += _ => connected.TrySetResult();
        await client.ConnectAsync(_transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, _transport.Certificate.Fingerprint, _clientLimiter, cancellationToken: ct);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);

        var buffer = new byte[256];
        var w = new RtcpWriter(buffer);
        w.WriteSenderReport(0xA11CE, 0x0102030405060708, 960, 50, 4000);
        w.WriteSdesCname(0xA11CE, "alice");
        Assert.True(client.SendRtcp(w.Written));
        var sr = Assert.IsType<RtcpSenderReport>(await serverGot.Task.WaitAsync(TimeSpan.FromSeconds(5), ct));
        Assert.Equal(50u, sr.PacketCount);

        w = new RtcpWriter(buffer);
        w.WriteReceiverReport(0x5EB0, [new RtcpReportBlock(0xA11CE, 0, 0, 50, 3, 0x03040506, 10)]);
        Assert.True(peer.SendRtcp(w.Written));
        var rr = Assert.IsType<RtcpReceiverReport>(await clientGot.Task.WaitAsync(TimeSpan.FromSeconds(5), ct));
        Assert.Equal(0xA11CEu, rr.Reports[0].Ssrc);
    }

    private static void Tone(short[] pcm, int frame, double frequency, short amplitude)
    {
        for (int i = 0; i < OpusRtpSender.FrameSamples; i++)
        {
            double t = ((frame * OpusRtpSender.FrameSamples) + i) / (double)OpusRtpSender.SampleRate;
            short v = (short)(amplitude * Math.Sin(2 * Math.PI * frequency * t));
            pcm[2 * i] = v;
            pcm[(2 * i) + 1] = v;
        }
    }

    private static double Goertzel(short[] samples, double frequency)
    {
        double coefficient = 2 * Math.Cos(2 * Math.PI * frequency / OpusRtpSender.SampleRate);
        double s1 = 0, s2 = 0;
        foreach (short x in samples)
        {
            double s0 = x + (coefficient * s1) - s2;
            s2 = s1;
            s1 = s0;
        }

        return (s1 * s1) + (s2 * s2) - (coefficient * s1 * s2);
    }

    public void Dispose()
    {
        _transport.Dispose();
        _clientLimiter.Dispose();
    }
}
