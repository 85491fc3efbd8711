using Together.Rtc.Rtp;
using Xunit;

namespace Together.Rtc.Tests.Rtp;

/// <summary>RFC 3550 A.1/A.3/A.8 receiver statistics against values worked out by hand.</summary>
public class RtpReceiverStatisticsTests
{
    private static readonly TimeSpan Frame = TimeSpan.FromMilliseconds(20);

    private static void Feed(RtpReceiverStatistics stats, params int[] sequences)
    {
        foreach (int seq in sequences)
        {
            stats.OnRtp((ushort)seq, 0, TimeSpan.Zero);
        }
    }

    [Fact]
    public void Loss_fraction_and_extended_sequence_across_the_wrap()
    {
        var stats = new RtpReceiverStatistics(0xABCD, 48000);

        // A.1 probation: the first packet is not counted, the second becomes the base (65534).
        Assert.False(stats.OnRtp(65533, 0, TimeSpan.Zero));
        Assert.Equal(new RtcpReportBlock(0xABCD, 0, 0, 0, 0, 0, 0), stats.TakeReportBlock(TimeSpan.Zero));
        Assert.True(stats.OnRtp(65534, 0, TimeSpan.Zero));

        // 65535, 0 (wrap: cycles 65536), 2 (1 lost), 3: extended max 65536 + 3 = 65539,
        // expected 65539 − 65534 + 1 = 6, received 5, lost 1, fraction ⌊1·256/6⌋ = 42.
        Feed(stats, 65535, 0, 2, 3);
        var first = stats.TakeReportBlock(TimeSpan.Zero);
        Assert.Equal(65539u, first.ExtendedHighestSequence);
        Assert.Equal(1, first.CumulativeLost);
        Assert.Equal(42, first.FractionLost);

        // 4, 6, 7 (5 lost): expected interval 4, received 3, fraction 256/4 = 64; cumulative 2.
        Feed(stats, 4, 6, 7);
        var second = stats.TakeReportBlock(TimeSpan.Zero);
        Assert.Equal(65543u, second.ExtendedHighestSequence);
        Assert.Equal(2, second.CumulativeLost);
        Assert.Equal(64, second.FractionLost);

        // A late 5 and a duplicate 7: nothing more expected, two more received: cumulative 0,
        // fraction 0 (a negative interval loss reports 0), the maximum unchanged.
        Feed(stats, 5, 7);
        var third = stats.TakeReportBlock(TimeSpan.Zero);
        Assert.Equal(65543u, third.ExtendedHighestSequence);
        Assert.Equal(0, third.CumulativeLost);
        Assert.Equal(0, third.FractionLost);

        // One more duplicate: cumulative loss goes negative (−1), as A.3 allows.
        Feed(stats, 7);
        Assert.Equal(-1, stats.TakeReportBlock(TimeSpan.Zero).CumulativeLost);
    }

    [Fact]
    public void A_large_jump_is_ignored_once_and_taken_as_a_restart_when_confirmed()
    {
        var stats = new RtpReceiverStatistics(1, 48000);
        Feed(stats, 100, 101, 102);
        Assert.Equal(2u, stats.Received);

        // 40000 is more than MAX_DROPOUT (3000) ahead: dropped, remembered as bad_seq − 1.
        Assert.False(stats.OnRtp(40000, 0, TimeSpan.Zero));
        Assert.Equal(102u, stats.ExtendedHighestSequence);

        // 40001 follows it: the sender restarted; statistics start over from 40001.
        Assert.True(stats.OnRtp(40001, 0, TimeSpan.Zero));
        Assert.Equal(1u, stats.Received);
        Assert.Equal(40001u, stats.ExtendedHighestSequence);
        Assert.Equal(0, stats.CumulativeLost);

        // Misordered within MAX_MISORDER (100) behind: counted, no new cycle.
        Assert.True(stats.OnRtp(39990, 0, TimeSpan.Zero));
        Assert.Equal(40001u, stats.ExtendedHighestSequence);
    }

    [Fact]
    public void Jitter_follows_a_8_with_hand_computed_values()
    {
        // 8 kHz clock, 20 ms packets (160 timestamp units).
        var stats = new RtpReceiverStatistics(7, 8000);
        var start = TimeSpan.FromSeconds(100);
        stats.OnRtp(1, 1000, start); // probation
        stats.OnRtp(2, 1160, start + Frame);
        stats.OnRtp(3, 1320, start + (2 * Frame));
        Assert.Equal(0u, stats.Jitter); // perfectly paced

        // 5 ms late = 40 units: D = 40, J = 0 + (40 − 0)/16 = 2.5 → reported 2.
        stats.OnRtp(4, 1480, start + (3 * Frame) + TimeSpan.FromMilliseconds(5));
        Assert.Equal(2u, stats.Jitter);

        // Back on time: D = 40 again, J = 2.5 + (40 − 2.5)/16 = 4.84 → 4 (integer form: 40 + 40 − 3 = 77, 77/16 = 4).
        stats.OnRtp(5, 1640, start + (4 * Frame));
        Assert.Equal(4u, stats.Jitter);
        Assert.Equal(4u, stats.TakeReportBlock(start).Jitter);

        // The RTP timestamp wraps: only differences matter.
        var wrap = new RtpReceiverStatistics(8, 8000);
        wrap.OnRtp(1, uint.MaxValue - 159, start);
        wrap.OnRtp(2, 0, start + Frame); // 2^32 − 160 + 160 wraps to 0
        wrap.OnRtp(3, 160, start + (2 * Frame));
        Assert.Equal(0u, wrap.Jitter);
    }

    [Fact]
    public void Last_sender_report_and_delay_since_it()
    {
        var stats = new RtpReceiverStatistics(9, 48000);
        Feed(stats, 10, 11);
        Assert.Equal((0u, 0u), (stats.TakeReportBlock(TimeSpan.FromSeconds(5)).LastSenderReport, stats.TakeReportBlock(TimeSpan.FromSeconds(5)).DelaySinceLastSenderReport));

        // LSR: the middle 32 bits of the NTP timestamp; DLSR in 1/65536 s: 0.5 s → 32768.
        stats.OnSenderReport(0x0123456789ABCDEF, TimeSpan.FromSeconds(10));
        var block = stats.TakeReportBlock(TimeSpan.FromSeconds(10.5));
        Assert.Equal(0x456789ABu, block.LastSenderReport);
        Assert.Equal(32768u, block.DelaySinceLastSenderReport);
        Assert.Equal(65536u * 3, stats.TakeReportBlock(TimeSpan.FromSeconds(13)).DelaySinceLastSenderReport);
    }

    [Fact]
    public void The_block_survives_the_wire()
    {
        var stats = new RtpReceiverStatistics(0x11223344, 48000);
        Feed(stats, 1, 2, 4);
        var block = stats.TakeReportBlock(TimeSpan.Zero);
        var buffer = new byte[64];
        var writer = new RtcpWriter(buffer);
        writer.WriteReceiverReport(0x55667788, [block]);
        Assert.True(RtcpCompound.TryParse(writer.Written, out var packets));
        Assert.Equal(block, Assert.IsType<RtcpReceiverReport>(Assert.Single(packets)).Reports[0]);
    }
}
