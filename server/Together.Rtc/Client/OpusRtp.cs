using Concentus;
using Concentus.Enums;
using Together.Rtc.Rtp;

namespace Together.Rtc.Client;

/// <summary>
/// Encodes 20 ms of 48 kHz stereo PCM per packet with Opus (RFC 7587) and wraps it in RTP with
/// the RFC 6464 audio level, the way a browser's microphone track does. For synthetic clients.
/// </summary>
public sealed class OpusRtpSender
{
    public const int SampleRate = 48000;
    public const int Channels = 2;
    public const int FrameSamples = 960; // 20 ms per channel

    private readonly IOpusEncoder _encoder;
    private readonly int _payloadType;
    private readonly int _audioLevelId;
    private ushort _sequence;
    private uint _timestamp;

    public OpusRtpSender(uint ssrc, int payloadType = 111, int audioLevelExtensionId = 1)
    {
        Ssrc = ssrc;
        _payloadType = payloadType;
        _audioLevelId = audioLevelExtensionId;
        _encoder = OpusCodecFactory.CreateEncoder(SampleRate, Channels, OpusApplication.OPUS_APPLICATION_VOIP, null);
        _encoder.UseInbandFEC = true;
        _encoder.Bitrate = 32000;
        _sequence = (ushort)Random.Shared.Next(ushort.MaxValue);
        _timestamp = (uint)Random.Shared.Next();
    }

    public uint Ssrc { get; }

    /// <summary>Writes one RTP packet for <paramref name="pcm"/> (960 × 2 interleaved samples).</summary>
    public int Write(ReadOnlySpan<short> pcm, Span<byte> packet)
    {
        if (pcm.Length != FrameSamples * Channels)
        {
            throw new ArgumentException("Expected 20 ms of 48 kHz stereo.", nameof(pcm));
        }

        int header = RtpPacket.WriteHeader(packet, (byte)_payloadType, false, _sequence++, _timestamp, Ssrc);
        packet[0] |= 0x10; // header extension follows
        int extension = RtpExtensionWriter.Write(packet[header..], [(_audioLevelId, [AudioLevel.Encode(LevelOf(pcm), true)])]);
        int offset = header + extension;
        int encoded = _encoder.Encode(pcm, FrameSamples, packet[offset..], packet.Length - offset);
        _timestamp += FrameSamples;
        return offset + encoded;
    }

    /// <summary>RFC 6464 §3: level in -dBov, 0 (loudest) to 127 (silence).</summary>
    public static byte LevelOf(ReadOnlySpan<short> pcm)
    {
        double sum = 0;
        foreach (short s in pcm)
        {
            sum += (double)s * s;
        }

        double rms = Math.Sqrt(sum / Math.Max(1, pcm.Length)) / 32768.0;
        if (rms <= 0)
        {
            return 127;
        }

        return (byte)Math.Clamp(Math.Round(-20 * Math.Log10(rms)), 0, 127);
    }
}

/// <summary>Decodes the Opus payload of received RTP packets back to 48 kHz stereo PCM.</summary>
public sealed class OpusRtpReceiver
{
    private readonly IOpusDecoder _decoder = OpusCodecFactory.CreateDecoder(OpusRtpSender.SampleRate, OpusRtpSender.Channels, null);

    public int FramesDecoded { get; private set; }

    /// <summary>Returns samples per channel written to <paramref name="pcm"/>, or -1 if not RTP.</summary>
    public int Decode(ReadOnlySpan<byte> rtpPacket, Span<short> pcm)
    {
        if (!RtpPacket.TryParse(rtpPacket, out var packet) || packet.PayloadLength == 0)
        {
            return -1;
        }

        int samples = _decoder.Decode(packet.Payload, pcm, OpusRtpSender.FrameSamples * 6, false);
        if (samples > 0)
        {
            FramesDecoded++;
        }

        return samples;
    }
}
