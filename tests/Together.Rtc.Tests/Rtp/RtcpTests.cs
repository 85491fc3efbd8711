using Together.Rtc.Rtp;
using Xunit;

namespace Together.Rtc.Tests.Rtp;

public class RtcpTests
{
    [Fact]
    public void Parses_a_hand_assembled_receiver_report()
    {
        byte[] rr = Convert.FromHexString(
            "81C90007" + "00000001" + "11223344" + "05FFFFFF" + "00010010" + "00000020" + "AABBCCDD" + "00010000");
        Assert.True(RtcpCompound.TryParse(rr, out var packets));
        var report = Assert.IsType<RtcpReceiverReport>(Assert.Single(packets));
        Assert.Equal(1u, report.Ssrc);
        var block = Assert.Single(report.Reports);
        Assert.Equal(new RtcpReportBlock(0x11223344, 5, -1, 0x10010, 0x20, 0xAABBCCDD, 0x10000), block);
    }

    [Fact]
    public void Compound_sr_sdes_bye_round_trips()
    {
        var buffer = new byte[512];
        var w = new RtcpWriter(buffer);
        var block = new RtcpReportBlock(0x0A0B0C0D, 12, 3000, 70000, 17, 0x12345678, 655);
        w.WriteSenderReport(0xCAFEBABE, 0xE8D4A51000000000, 48000, 100, 16000, [block]);
        w.WriteSdesCname(0xCAFEBABE, "together-voice");
        w.WriteGoodbye([0xCAFEBABE, 0x1], "left");

        Assert.True(RtcpCompound.TryParse(w.Written, out var packets));
        Assert.Equal(3, packets.Count);
        var sr = Assert.IsType<RtcpSenderReport>(packets[0]);
        Assert.Equal(0xCAFEBABEu, sr.Ssrc);
        Assert.Equal(0xE8D4A51000000000ul, sr.NtpTimestamp);
        Assert.Equal(48000u, sr.RtpTimestamp);
        Assert.Equal(100u, sr.PacketCount);
        Assert.Equal(16000u, sr.OctetCount);
        Assert.Equal(block, Assert.Single(sr.Reports));
        var sdes = Assert.IsType<RtcpSourceDescription>(packets[1]);
        Assert.Equal("together-voice", Assert.Single(sdes.Chunks).CanonicalName);
        var bye = Assert.IsType<RtcpGoodbye>(packets[2]);
        Assert.Equal([0xCAFEBABEu, 1u], bye.Ssrcs);
        Assert.Equal("left", bye.Reason);
        Assert.True(RtcpPacketType.IsRtcp(w.Written));
    }

    [Fact]
    public void Receiver_report_and_unknown_feedback_are_parsed()
    {
        var buffer = new byte[256];
        var w = new RtcpWriter(buffer);
        w.WriteReceiverReport(7, [new RtcpReportBlock(9, 0, -5, 1, 2, 3, 4)]);
        int rr = w.Length;

        // PLI (RFC 4585 PSFB FMT=1) is passed through as raw bytes.
        Convert.FromHexString("81CE000200000007 00000009".Replace(" ", "", StringComparison.Ordinal)).CopyTo(buffer, rr);
        Assert.True(RtcpCompound.TryParse(buffer.AsSpan(0, rr + 12), out var packets));
        Assert.Equal(-5, Assert.IsType<RtcpReceiverReport>(packets[0]).Reports[0].CumulativeLost);
        var pli = Assert.IsType<RtcpOtherPacket>(packets[1]);
        Assert.Equal(RtcpPacketType.PayloadFeedback, pli.PacketType);
        Assert.Equal(1, pli.Count);
    }

    [Fact]
    public void Truncated_or_inconsistent_compounds_are_rejected()
    {
        var buffer = new byte[512];
        var w = new RtcpWriter(buffer);
        w.WriteSenderReport(1, 2, 3, 4, 5, [new RtcpReportBlock(1, 2, 3, 4, 5, 6, 7)]);
        int srLength = w.Length; // a lone SR is itself a valid compound
        w.WriteSdesCname(1, "x");
        var full = w.Written.ToArray();
        Assert.True(RtcpCompound.TryParse(full.AsSpan(0, srLength), out _));
        for (int length = 0; length < full.Length; length++)
        {
            if (length == srLength)
            {
                continue;
            }

            Assert.False(RtcpCompound.TryParse(full.AsSpan(0, length), out _), $"length {length}");
        }

        var badCount = full.ToArray();
        badCount[0] = 0x85; // claims 5 report blocks
        Assert.False(RtcpCompound.TryParse(badCount, out _));

        var random = new Random(5);
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length >= 4)
            {
                buffer[0] = (byte)(0x80 | (buffer[0] & 0x1F));
                buffer[1] = (byte)(200 + (buffer[1] % 5));
                buffer[2] = 0;
                buffer[3] = (byte)((length / 4) - 1);
            }

            _ = RtcpCompound.TryParse(buffer.AsSpan(0, length), out _);
        }
    }
}
