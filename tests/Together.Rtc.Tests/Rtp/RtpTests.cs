using Together.Rtc.Rtp;
using Xunit;

namespace Together.Rtc.Tests.Rtp;

public class RtpTests
{
    // V=2, X=1, CC=1, M=1 PT=111, seq 0x1234, ts 0x0000_03C0, SSRC 0xCAFEBABE, CSRC 0x01020304,
    // one-byte extension block (0xBEDE, 2 words): id 1 audio level 0x8A (voice, -10 dBov), padding,
    // id 3 with 2 bytes 0xAB 0xCD, then padding; payload "opus".
    private static readonly byte[] OneByteSample = Convert.FromHexString(
        "91EF123400 0003C0CAFEBABE01020304".Replace(" ", "", StringComparison.Ordinal) +
        "BEDE0002" + "108A00" + "31ABCD" + "0000" + "6F707573");

    [Fact]
    public void Parses_fixed_header_csrc_and_one_byte_extensions()
    {
        Assert.True(RtpPacket.TryParse(OneByteSample, out var p));
        Assert.True(p.Marker);
        Assert.Equal(111, p.PayloadType);
        Assert.Equal(0x1234, p.SequenceNumber);
        Assert.Equal(0x3C0u, p.Timestamp);
        Assert.Equal(0xCAFEBABEu, p.Ssrc);
        Assert.Equal(1, p.CsrcCount);
        Assert.Equal(0x01020304u, p.Csrc(0));
        Assert.Equal(RtpPacket.OneByteExtensionProfile, p.ExtensionProfile);
        Assert.Equal(28, p.HeaderLength); // 12 fixed + 4 CSRC + 4 extension header + 8 extension data
        Assert.Equal("opus"u8.ToArray(), p.Payload.ToArray());
        Assert.True(p.TryGetExtension(3, out var ext3));
        Assert.Equal(new byte[] { 0xAB, 0xCD }, ext3.ToArray());
        Assert.False(p.TryGetExtension(2, out _));
        Assert.True(AudioLevel.TryRead(p, 1, out byte level, out bool voice));
        Assert.Equal(10, level);
        Assert.True(voice);
    }

    [Fact]
    public void Parses_two_byte_extensions_including_empty_elements()
    {
        // 0x1000 profile, 3 words: id 1 len 1 (0x05), id 20 len 0, id 3 len 2 (0x0102), pad
        byte[] packet = Convert.FromHexString("90000001000000000000000A" + "10000003" + "010105" + "1400" + "03020102" + "000000" + "FF");
        Assert.True(RtpPacket.TryParse(packet, out var p));
        var seen = new List<(int, string)>();
        var e = p.Extensions;
        while (e.MoveNext())
        {
            seen.Add((e.Id, Convert.ToHexString(e.Value)));
        }

        Assert.Equal([(1, "05"), (20, ""), (3, "0102")], seen);
        Assert.True(AudioLevel.TryRead(p, 1, out byte level, out bool voice));
        Assert.Equal(5, level);
        Assert.False(voice);
        Assert.Equal([0xFF], p.Payload.ToArray());
    }

    [Fact]
    public void Extension_writer_picks_the_form_and_round_trips()
    {
        var buffer = new byte[64];
        int length = RtpExtensionWriter.Write(buffer, new (int, byte[])[] { (1, [AudioLevel.Encode(30, true)]), (5, [1, 2, 3]) });
        Assert.Equal(12, length);
        Assert.Equal("BEDE0002", Convert.ToHexString(buffer, 0, 4));

        int twoByte = RtpExtensionWriter.Write(buffer, new (int, byte[])[] { (1, [7]), (15, [9, 9]) });
        Assert.Equal("1000", Convert.ToHexString(buffer, 0, 2));

        var packet = new byte[100];
        int header = RtpPacket.WriteHeader(packet, 111, false, 7, 960, 42);
        packet[0] |= 0x10;
        buffer.AsSpan(0, twoByte).CopyTo(packet.AsSpan(header));
        Assert.True(RtpPacket.TryParse(packet.AsSpan(0, header + twoByte + 3), out var p));
        Assert.True(p.TryGetExtension(15, out var v));
        Assert.Equal(new byte[] { 9, 9 }, v.ToArray());
        Assert.Equal(3, p.PayloadLength);
    }

    [Fact]
    public void Rewriting_ssrc_sequence_and_timestamp_keeps_everything_else()
    {
        var packet = OneByteSample.ToArray();
        RtpPacket.SetSsrc(packet, 0x01010101);
        RtpPacket.SetSequenceNumber(packet, 65535);
        RtpPacket.SetTimestamp(packet, 0xFFFFFFF0);
        RtpPacket.SetPayloadType(packet, 109);
        Assert.True(RtpPacket.TryParse(packet, out var p));
        Assert.Equal(0x01010101u, p.Ssrc);
        Assert.Equal(65535, p.SequenceNumber);
        Assert.Equal(0xFFFFFFF0u, p.Timestamp);
        Assert.Equal(109, p.PayloadType);
        Assert.True(p.Marker);
        Assert.Equal("opus"u8.ToArray(), p.Payload.ToArray());
        Assert.Equal(OneByteSample.AsSpan(12).ToArray(), packet.AsSpan(12).ToArray());
    }

    [Fact]
    public void Padding_is_excluded_from_the_payload_and_bad_padding_rejected()
    {
        byte[] padded = Convert.FromHexString("A06F000100000000000000010102030400000004");
        Assert.True(RtpPacket.TryParse(padded, out var p));
        Assert.Equal(new byte[] { 1, 2, 3, 4 }, p.Payload.ToArray());
        padded[^1] = 9; // more padding than payload
        Assert.False(RtpPacket.TryParse(padded, out _));
        padded[^1] = 0;
        Assert.False(RtpPacket.TryParse(padded, out _));
    }

    [Fact]
    public void Truncated_and_random_packets_are_rejected_without_exceptions()
    {
        for (int length = 0; length < 28; length++)
        {
            Assert.False(RtpPacket.TryParse(OneByteSample.AsSpan(0, length), out _), $"length {length}");
        }

        var random = new Random(11);
        var buffer = new byte[200];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (RtpPacket.TryParse(buffer.AsSpan(0, length), out var p))
            {
                var e = p.Extensions;
                while (e.MoveNext())
                {
                    Assert.True(e.Value.Length <= p.ExtensionData.Length);
                }

                Assert.True(p.HeaderLength + p.PayloadLength <= length);
            }
        }
    }
}
