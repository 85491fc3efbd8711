namespace Together.Rtc.Rtp;

/// <summary>
/// What a receiver reports about one incoming RTP source (RFC 3550 §6.4.1): sequence tracking
/// and loss (Appendix A.1 and A.3), interarrival jitter (A.8), and the LSR/DLSR pair that lets
/// the sender measure the round trip. One instance per SSRC; not thread-safe (feed it from the
/// receive thread, take reports from the same thread or under the caller's lock). No allocation
/// per packet.
/// </summary>
public sealed class RtpReceiverStatistics
{
    // RFC 3550 A.1: a source is valid after MinSequential packets in sequence; a jump of more
    // than MaxDropout ahead or MaxMisorder behind is a restart unless the next packet confirms it.
    private const int MaxDropout = 3000;
    private const int MaxMisorder = 100;
    private const int MinSequential = 2;
    private const uint SequenceMod = 1 << 16;

    private readonly int _clockRate;
    private ushort _maxSeq;
    private uint _cycles;
    private uint _baseSeq;
    private uint _badSeq = SequenceMod + 1;
    private int _probation;
    private bool _seen;
    private bool _valid;
    private uint _received;
    private uint _expectedPrior;
    private uint _receivedPrior;
    private bool _haveTransit;
    private long _transit;
    private long _jitter; // RFC 3550 A.8: scaled by 16
    private uint _lastSenderReport;
    private TimeSpan _lastSenderReportArrival;
    private bool _haveSenderReport;

    /// <param name="clockRate">The RTP clock of the stream (48 000 for Opus), for jitter in timestamp units.</param>
    public RtpReceiverStatistics(uint ssrc, int clockRate)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(clockRate);
        Ssrc = ssrc;
        _clockRate = clockRate;
    }

    public uint Ssrc { get; }

    /// <summary>Packets counted (after probation; duplicates count, as in RFC 3550 A.3).</summary>
    public uint Received => _received;

    /// <summary>Highest sequence number seen, extended with the count of wraps (A.3 extended_max).</summary>
    public uint ExtendedHighestSequence => _cycles + _maxSeq;

    /// <summary>Packets expected minus packets received, may be negative with duplicates (A.3).</summary>
    public long CumulativeLost => _valid ? (long)ExtendedHighestSequence - _baseSeq + 1 - _received : 0;

    /// <summary>Interarrival jitter estimate in timestamp units (A.8).</summary>
    public uint Jitter => (uint)(_jitter >> 4);

    /// <summary>
    /// One packet arrived at <paramref name="arrival"/> (any fixed origin, e.g. a TimeProvider
    /// timestamp's elapsed time). False while the source is on probation or for a packet taken
    /// as a bad jump; such packets are not counted (RFC 3550 A.1 update_seq).
    /// </summary>
    public bool OnRtp(ushort sequence, uint rtpTimestamp, TimeSpan arrival)
    {
        if (!UpdateSequence(sequence))
        {
            return false;
        }

        // A.8: transit = arrival − timestamp in the stream's clock; only differences matter, so
        // the wrap of either is harmless when the difference is taken as a 32-bit signed value.
        long arrivalUnits = (long)((Int128)arrival.Ticks * _clockRate / TimeSpan.TicksPerSecond);
        long transit = arrivalUnits - rtpTimestamp;
        if (_haveTransit)
        {
            long d = Math.Abs((long)unchecked((int)(transit - _transit)));
            _jitter += d - ((_jitter + 8) >> 4);
        }

        _transit = transit;
        _haveTransit = true;
        return true;
    }

    /// <summary>A sender report from this source arrived: remember the middle 32 bits of its NTP time (LSR) and when.</summary>
    public void OnSenderReport(ulong ntpTimestamp, TimeSpan arrival)
    {
        _lastSenderReport = (uint)(ntpTimestamp >> 16);
        _lastSenderReportArrival = arrival;
        _haveSenderReport = true;
    }

    /// <summary>
    /// The report block for now (RFC 3550 §6.4.1, A.3): fraction lost since the previous call,
    /// cumulative lost clamped to 24 bits, extended highest sequence, jitter, LSR and DLSR in
    /// units of 1/65536 s (0 and 0 before any sender report).
    /// </summary>
    public RtcpReportBlock TakeReportBlock(TimeSpan now)
    {
        uint delay = 0;
        if (_haveSenderReport)
        {
            var since = now - _lastSenderReportArrival;
            delay = since <= TimeSpan.Zero ? 0 : (uint)Math.Min(uint.MaxValue, since.Ticks * 65536 / TimeSpan.TicksPerSecond);
        }

        uint lsr = _haveSenderReport ? _lastSenderReport : 0;
        if (!_valid)
        {
            return new RtcpReportBlock(Ssrc, 0, 0, 0, 0, lsr, delay); // still on probation
        }

        uint extendedMax = ExtendedHighestSequence;
        uint expected = extendedMax - _baseSeq + 1;
        uint expectedInterval = expected - _expectedPrior;
        uint receivedInterval = _received - _receivedPrior;
        _expectedPrior = expected;
        _receivedPrior = _received;
        long lostInterval = (long)expectedInterval - receivedInterval;
        byte fraction = expectedInterval == 0 || lostInterval <= 0 ? (byte)0 : (byte)((lostInterval << 8) / expectedInterval);

        return new RtcpReportBlock(Ssrc, fraction, (int)Math.Clamp(CumulativeLost, -0x800000, 0x7FFFFF), extendedMax, Jitter, lsr, delay);
    }

    // RFC 3550 A.1 update_seq, transcribed.
    private bool UpdateSequence(ushort seq)
    {
        if (!_seen)
        {
            // A new source (A.1): on probation, as if the packet before this one had been seen.
            _seen = true;
            InitSequence(seq);
            _maxSeq = unchecked((ushort)(seq - 1));
            _probation = MinSequential;
        }

        ushort udelta = unchecked((ushort)(seq - _maxSeq));
        if (_probation > 0)
        {
            // Probation: packets must be in sequence.
            if (seq == unchecked((ushort)(_maxSeq + 1)))
            {
                _probation--;
                _maxSeq = seq;
                if (_probation == 0)
                {
                    InitSequence(seq);
                    _valid = true;
                    _received++;
                    return true;
                }
            }
            else
            {
                _probation = MinSequential - 1;
                _maxSeq = seq;
            }

            return false;
        }

        if (udelta < MaxDropout)
        {
            // In order, with permissible gap.
            if (seq < _maxSeq)
            {
                _cycles += SequenceMod; // wrapped
            }

            _maxSeq = seq;
        }
        else if (udelta <= SequenceMod - MaxMisorder)
        {
            // A very large jump: a restarted sender, or a stray. Two in sequence resynchronise.
            if (seq == _badSeq)
            {
                InitSequence(seq);
            }
            else
            {
                _badSeq = (uint)(seq + 1) & (SequenceMod - 1);
                return false;
            }
        }

        // Otherwise a duplicate or reordered packet: counted, the maximum unchanged.
        _received++;
        return true;
    }

    private void InitSequence(ushort seq)
    {
        _baseSeq = seq;
        _maxSeq = seq;
        _badSeq = SequenceMod + 1;
        _cycles = 0;
        _received = 0;
        _receivedPrior = 0;
        _expectedPrior = 0;
    }
}
