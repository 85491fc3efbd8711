using Together.Rtc.Client;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Transport;
using Xunit;

namespace Together.Rtc.Tests.Transport;

/// <summary>
/// What the SFU does per packet, measured where it runs: on the transport's receive thread,
/// socket receive → demultiplex → SRTP unprotect → RtpReceived → copy and rewrite → SendRtp
/// (SRTP protect) → socket send. The handler samples
/// <see cref="GC.GetAllocatedBytesForCurrentThread"/> on that thread, so the whole loop between
/// two packets is counted, not just the crypto.
/// </summary>
public sealed class ForwardingAllocationTests : IDisposable
{
    private const int Window = 400;

    private readonly RtcTransport _transport = RtcTransport.Start();
    private readonly DtlsHandshakeLimiter _clientLimiter = new(4);

    [Fact]
    public async Task Forwarding_through_the_transport_allocates_nothing_per_packet_on_the_receive_thread()
    {
        var ct = TestContext.Current.CancellationToken;
        using var speaker = new RtcClientPeer();
        using var listener = new RtcClientPeer();
        var up = await ConnectAsync(speaker, ct);
        var down = await ConnectAsync(listener, ct);

        // Allocated-bytes reading at every received packet, and how many listener got back.
        var samples = new long[Window * 12];
        int received = 0;
        int delivered = 0;
        var forward = new byte[RtcTransport.MaxPacket];
        ushort outSeq = 0;
        up.RtpReceived += (_, packet) =>
        {
            if (received < samples.Length)
            {
                samples[received++] = GC.GetAllocatedBytesForCurrentThread();
            }

            packet.CopyTo(forward);
            var copy = forward.AsSpan(0, packet.Length);
            RtpPacket.SetSsrc(copy, 0xD00D);
            RtpPacket.SetSequenceNumber(copy, ++outSeq);
            RtpPacket.SetTimestamp(copy, outSeq * 960u);
            down.SendRtp(copy);
        };
        listener.RtpReceived += _ => Interlocked.Increment(ref delivered);

        var packet = new byte[100]; // about an Opus packet's size
        int windows = 0;
        int cleanInARow = 0;
        var allocatedPerWindow = new List<long>();
        ushort seq = 0;
        while (cleanInARow < 2 && windows < 12)
        {
            int first = Volatile.Read(ref received);
            for (int i = 0; i < Window; i++)
            {
                int header = RtpPacket.WriteHeader(packet, 111, false, ++seq, seq * 960u, 0x5EED);
                Assert.True(speaker.SendRtp(packet.AsSpan(0, header + 60)));
                if (i % 50 == 49)
                {
                    await Task.Delay(2, ct); // paced so loopback drops nothing
                }
            }

            await WaitUntil(() => Volatile.Read(ref received) >= first + Window, ct);
            int last = Volatile.Read(ref received) - 1;
            Assert.True(last - first > Window / 2, $"only {last - first + 1} of {Window} packets arrived");
            long allocated = samples[last] - samples[first];
            allocatedPerWindow.Add(allocated);
            cleanInARow = allocated == 0 ? cleanInARow + 1 : 0;
            windows++;
        }

        // Tiered PGO's instrumentation allocates a little, once, on the thread it profiles
        // (docs/voice.md trap 13): two clean windows in a row are required, not the first.
        Assert.True(cleanInARow == 2, $"bytes allocated on the receive thread per {Window} forwarded packets: {string.Join(", ", allocatedPerWindow)}");
        await WaitUntil(() => Volatile.Read(ref delivered) >= Volatile.Read(ref received) - 10, ct);
        Assert.True(delivered > windows * Window / 2, $"the listener decrypted {delivered} forwarded packets");
    }

    private async Task<RtcPeer> ConnectAsync(RtcClientPeer client, CancellationToken ct)
    {
        var peer = _transport.CreatePeer();
        peer.SetRemote(client.Local.Ufrag, client.Certificate.Fingerprint);
        var connected = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        peer.Connected += _ => connected.TrySetResult();

        // No consent checks during the measurement: STUN handling allocates (parsing, the mapped
        // address) and is not per media packet.
        await client.ConnectAsync(_transport.LocalEndPoint, peer.Local.Ufrag, peer.Local.Password, _transport.Certificate.Fingerprint, _clientLimiter, consentInterval: TimeSpan.FromHours(1), cancellationToken: ct);
        await connected.Task.WaitAsync(TimeSpan.FromSeconds(10), ct);
        return peer;
    }

    private static async Task WaitUntil(Func<bool> condition, CancellationToken ct)
    {
        for (int i = 0; i < 250 && !condition(); i++)
        {
            await Task.Delay(20, ct);
        }
    }

    public void Dispose()
    {
        _transport.Dispose();
        _clientLimiter.Dispose();
    }
}
