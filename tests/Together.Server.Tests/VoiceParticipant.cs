using System.Collections.Concurrent;
using System.Net;
using Together.Rtc.Client;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;

namespace Together.Server.Tests;

/// <summary>
/// One synthetic voice participant for tests: its own gateway connection, the voice library's
/// client peer (real ICE, DTLS-SRTP and Opus over UDP on 127.0.0.1), and what it heard, decoded.
/// A peer connection is good for one join: after a leave or a server restart, join anew (as a
/// browser makes a new RTCPeerConnection).
/// </summary>
public sealed class VoiceParticipant : IAsyncDisposable
{
    private static readonly DtlsHandshakeLimiter Limiter = new(8);

    // Only touched on the peer's receive thread, one decoder per incoming stream.
    private readonly Dictionary<uint, OpusRtpReceiver> _decoders = [];
    private readonly short[] _pcm = new short[OpusRtpSender.FrameSamples * 6 * OpusRtpSender.Channels];

    private VoiceParticipant(string userId, GatewayClient gateway)
    {
        UserId = userId;
        Gateway = gateway;
        Peer.RtpReceived += OnRtp;
    }

    public string UserId { get; }

    public GatewayClient Gateway { get; }

    public RtcClientPeer Peer { get; } = new(new IPEndPoint(IPAddress.Loopback, 0));

    public OpusRtpSender Sender { get; } = new((uint)Random.Shared.Next(1, int.MaxValue));

    /// <summary>SSRC → user id, from every offer's a=ssrc cname "u{userId}".</summary>
    public ConcurrentDictionary<uint, string> Speakers { get; } = new();

    /// <summary>Per incoming SSRC: Opus frames that decoded to audible sound (not silence).</summary>
    public ConcurrentDictionary<uint, int> AudibleBySsrc { get; } = new();

    /// <summary>Frames decoded from <paramref name="other"/> that carried sound.</summary>
    public int HeardFrom(VoiceParticipant other) => HeardFrom(other.UserId);

    public int HeardFrom(string userId) =>
        AudibleBySsrc.Where(kv => Speakers.TryGetValue(kv.Key, out var user) && user == userId).Sum(kv => kv.Value);

    /// <summary>
    /// Op 4 into <paramref name="channelId"/> on <paramref name="gateway"/>, op 40 with the answer
    /// to the first offer of this join, then ICE and DTLS against the server's candidate.
    /// </summary>
    public static async Task<VoiceParticipant> JoinAsync(GatewayClient gateway, string userId, string guildId, string channelId, CancellationToken cancellationToken)
    {
        var participant = new VoiceParticipant(userId, gateway);
        try
        {
            // Re-offers follow every join and leave in the room: keep the SSRC → speaker map
            // current without taking frames from the test's own queue.
            gateway.Received += participant.OnFrame;
            await gateway.SendAsync(new { op = 4, d = new { guild_id = guildId, channel_id = channelId, self_mute = false, self_deaf = false } });
            // Revision 1 is the first offer of a join: offers of an earlier join on the same
            // connection, still queued, carry that join's ICE credentials and must be skipped.
            var frame = await gateway.DispatchAsync("VOICE_OFFER",
                d => d.GetProperty("channel_id").GetString() == channelId && d.GetProperty("revision").GetInt32() == 1, TimeSpan.FromSeconds(20));
            var offer = participant.Parse(frame.D);
            await gateway.SendAsync(new { op = 40, d = new { guild_id = guildId, sdp = participant.Peer.Answer(offer) } });
            var candidate = offer.Media[0].Candidates[0];
            await participant.Peer.ConnectAsync(new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port),
                offer.EffectiveIceUfrag!, offer.EffectiveIcePwd!, offer.EffectiveFingerprint!, Limiter, cancellationToken: cancellationToken);
            return participant;
        }
        catch
        {
            await participant.DisposeAsync();
            throw;
        }
    }

    /// <summary>20 ms frames of a 440 Hz tone from each speaker, paced faster than real time.</summary>
    public static async Task TalkAsync(IEnumerable<VoiceParticipant> speakers, int frames, CancellationToken cancellationToken)
    {
        var pcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels];
        var buffer = new byte[1500];
        for (var frame = 0; frame < frames; frame++)
        {
            for (var i = 0; i < pcm.Length; i += 2)
                pcm[i] = pcm[i + 1] = (short)(8000 * Math.Sin(2 * Math.PI * 440 * (frame * OpusRtpSender.FrameSamples + i / 2) / 48000.0));
            foreach (var speaker in speakers)
                speaker.Peer.SendRtp(buffer.AsSpan(0, speaker.Sender.Write(pcm, buffer)));
            await Task.Delay(5, cancellationToken);
        }
    }

    private void OnFrame(Frame frame)
    {
        if (frame.T == "VOICE_OFFER")
            Parse(frame.D);
    }

    private SdpSessionDescription Parse(JsonElement payload)
    {
        Assert.True(SdpParser.TryParse(payload.GetProperty("sdp").GetString()!, out var offer));
        foreach (var media in offer.Media.Where(m => m.Ssrc is not null && m.Cname is not null))
            Speakers[media.Ssrc!.Value] = media.Cname![1..];
        return offer;
    }

    private void OnRtp(ReadOnlySpan<byte> packet)
    {
        if (!RtpPacket.TryParse(packet, out var rtp))
            return;
        if (!_decoders.TryGetValue(rtp.Ssrc, out var decoder))
            _decoders[rtp.Ssrc] = decoder = new OpusRtpReceiver();
        var samples = decoder.Decode(packet, _pcm);
        if (samples <= 0)
            return;
        // The speakers send a tone at about -12 dBFS; decoded silence or noise stays far below.
        double sum = 0;
        foreach (var s in _pcm.AsSpan(0, samples * OpusRtpSender.Channels))
            sum += (double)s * s;
        if (Math.Sqrt(sum / (samples * OpusRtpSender.Channels)) > 1000)
            AudibleBySsrc.AddOrUpdate(rtp.Ssrc, 1, (_, n) => n + 1);
    }

    /// <summary>Ends the media side only; the gateway connection stays the caller's.</summary>
    public ValueTask DisposeAsync()
    {
        Gateway.Received -= OnFrame;
        Peer.Dispose();
        return ValueTask.CompletedTask;
    }
}
