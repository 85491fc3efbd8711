using System.Buffers.Binary;
using System.Text;

namespace Together.Rtc.Rtp;

public static class RtcpPacketType
{
    public const byte SenderReport = 200;
    public const byte ReceiverReport = 201;
    public const byte SourceDescription = 202;
    public const byte Goodbye = 203;
    public const byte Application = 204;
    public const byte TransportFeedback = 205;
    public const byte PayloadFeedback = 206;

    /// <summary>RFC 5761 §4: on a muxed port, RTCP has packet type 192..223 in the second byte.</summary>
    public static bool IsRtcp(ReadOnlySpan<byte> packet) => packet.Length >= 2 && packet[1] is >= 192 and <= 223;
}

/// <summary>A reception report block (RFC 3550 §6.4.1).</summary>
public readonly record struct RtcpReportBlock(
    uint Ssrc,
    byte FractionLost,
    int CumulativeLost,
    uint ExtendedHighestSequence,
    uint Jitter,
    uint LastSenderReport,
    uint DelaySinceLastSenderReport)
{
    public const int Length = 24;

    internal static RtcpReportBlock Read(ReadOnlySpan<byte> b)
    {
        int lost = (b[5] << 16) | (b[6] << 8) | b[7];
        if ((lost & 0x800000) != 0)
        {
            lost |= unchecked((int)0xFF000000); // 24-bit signed
        }

        return new RtcpReportBlock(
            BinaryPrimitives.ReadUInt32BigEndian(b),
            b[4],
            lost,
            BinaryPrimitives.ReadUInt32BigEndian(b[8..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[12..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[16..]),
            BinaryPrimitives.ReadUInt32BigEndian(b[20..]));
    }

    internal void Write(Span<byte> b)
    {
        BinaryPrimitives.WriteUInt32BigEndian(b, Ssrc);
        b[4] = FractionLost;
        int lost = Math.Clamp(CumulativeLost, -0x800000, 0x7FFFFF);
        b[5] = (byte)(lost >> 16);
        b[6] = (byte)(lost >> 8);
        b[7] = (byte)lost;
        BinaryPrimitives.WriteUInt32BigEndian(b[8..], ExtendedHighestSequence);
        BinaryPrimitives.WriteUInt32BigEndian(b[12..], Jitter);
        BinaryPrimitives.WriteUInt32BigEndian(b[16..], LastSenderReport);
        BinaryPrimitives.WriteUInt32BigEndian(b[20..], DelaySinceLastSenderReport);
    }
}

/// <summary>One packet of an RTCP compound packet. RTCP is a few packets a second per stream,
/// so these are ordinary objects rather than span views.</summary>
public abstract record RtcpPacket(byte PacketType);

public sealed record RtcpSenderReport(
    uint Ssrc,
    ulong NtpTimestamp,
    uint RtpTimestamp,
    uint PacketCount,
    uint OctetCount,
    IReadOnlyList<RtcpReportBlock> Reports) : RtcpPacket(RtcpPacketType.SenderReport);

public sealed record RtcpReceiverReport(uint Ssrc, IReadOnlyList<RtcpReportBlock> Reports) : RtcpPacket(RtcpPacketType.ReceiverReport);

/// <summary>SDES (RFC 3550 §6.5): items per chunk, keyed by item type (1 = CNAME).</summary>
public sealed record RtcpSourceDescription(IReadOnlyList<RtcpSdesChunk> Chunks) : RtcpPacket(RtcpPacketType.SourceDescription);

public sealed record RtcpSdesChunk(uint Ssrc, IReadOnlyDictionary<byte, string> Items)
{
    public const byte Cname = 1;

    public string? CanonicalName => Items.TryGetValue(Cname, out var v) ? v : null;
}

public sealed record RtcpGoodbye(IReadOnlyList<uint> Ssrcs, string? Reason) : RtcpPacket(RtcpPacketType.Goodbye);

/// <summary>Any other packet (APP, feedback): kept as raw bytes including its header.</summary>
public sealed record RtcpOtherPacket(byte Type, int Count, byte[] Raw) : RtcpPacket(Type);

public static class RtcpCompound
{
    /// <summary>
    /// Parses a compound RTCP packet. Returns false, without throwing, if any packet is malformed
    /// (RFC 3550 §6.4 / Appendix A.2 validity checks: version 2, lengths add up exactly).
    /// </summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out List<RtcpPacket> packets)
    {
        packets = [];
        if (data.Length < 4)
        {
            return false;
        }

        int pos = 0;
        while (pos < data.Length)
        {
            if (data.Length - pos < 4 || (data[pos] >> 6) != 2)
            {
                return false;
            }

            int count = data[pos] & 0x1F;
            byte type = data[pos + 1];
            int length = 4 * (BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]) + 1);
            if (length > data.Length - pos)
            {
                return false;
            }

            var packet = data.Slice(pos, length);
            if ((packet[0] & 0x20) != 0)
            {
                // Padding is allowed only on the last packet of the compound.
                int pad = packet[^1];
                if (pos + length != data.Length || pad == 0 || pad > length - 4)
                {
                    return false;
                }

                packet = packet[..^pad];
            }

            var parsed = Parse(type, count, packet);
            if (parsed is null)
            {
                return false;
            }

            packets.Add(parsed);
            pos += length;
        }

        return true;
    }

    private static RtcpPacket? Parse(byte type, int count, ReadOnlySpan<byte> p)
    {
        switch (type)
        {
            case RtcpPacketType.SenderReport:
                {
                    if (p.Length < 28 + (count * RtcpReportBlock.Length))
                    {
                        return null;
                    }

                    return new RtcpSenderReport(
                        BinaryPrimitives.ReadUInt32BigEndian(p[4..]),
                        BinaryPrimitives.ReadUInt64BigEndian(p[8..]),
                        BinaryPrimitives.ReadUInt32BigEndian(p[16..]),
                        BinaryPrimitives.ReadUInt32BigEndian(p[20..]),
                        BinaryPrimitives.ReadUInt32BigEndian(p[24..]),
                        ReadBlocks(p[28..], count));
                }

            case RtcpPacketType.ReceiverReport:
                {
                    if (p.Length < 8 + (count * RtcpReportBlock.Length))
                    {
                        return null;
                    }

                    return new RtcpReceiverReport(BinaryPrimitives.ReadUInt32BigEndian(p[4..]), ReadBlocks(p[8..], count));
                }

            case RtcpPacketType.SourceDescription:
                return ParseSdes(count, p);

            case RtcpPacketType.Goodbye:
                {
                    if (p.Length < 4 + (4 * count))
                    {
                        return null;
                    }

                    var ssrcs = new uint[count];
                    for (int i = 0; i < count; i++)
                    {
                        ssrcs[i] = BinaryPrimitives.ReadUInt32BigEndian(p[(4 + (4 * i))..]);
                    }

                    string? reason = null;
                    int at = 4 + (4 * count);
                    if (p.Length > at)
                    {
                        int reasonLength = p[at];
                        if (at + 1 + reasonLength > p.Length)
                        {
                            return null;
                        }

                        reason = Encoding.UTF8.GetString(p.Slice(at + 1, reasonLength));
                    }

                    return new RtcpGoodbye(ssrcs, reason);
                }

            default:
                return new RtcpOtherPacket(type, count, p.ToArray());
        }
    }

    private static RtcpReportBlock[] ReadBlocks(ReadOnlySpan<byte> data, int count)
    {
        var blocks = new RtcpReportBlock[count];
        for (int i = 0; i < count; i++)
        {
            blocks[i] = RtcpReportBlock.Read(data[(i * RtcpReportBlock.Length)..]);
        }

        return blocks;
    }

    private static RtcpSourceDescription? ParseSdes(int count, ReadOnlySpan<byte> p)
    {
        var chunks = new List<RtcpSdesChunk>(count);
        int pos = 4;
        for (int c = 0; c < count; c++)
        {
            if (p.Length - pos < 4)
            {
                return null;
            }

            uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(p[pos..]);
            pos += 4;
            var items = new Dictionary<byte, string>();
            while (true)
            {
                if (pos >= p.Length)
                {
                    return null;
                }

                byte itemType = p[pos];
                if (itemType == 0)
                {
                    // End of list, then pad to the next 32-bit boundary (RFC 3550 §6.5).
                    pos = (pos + 4) & ~3;
                    break;
                }

                if (pos + 2 > p.Length || pos + 2 + p[pos + 1] > p.Length)
                {
                    return null;
                }

                items[itemType] = Encoding.UTF8.GetString(p.Slice(pos + 2, p[pos + 1]));
                pos += 2 + p[pos + 1];
            }

            if (pos > p.Length)
            {
                return null;
            }

            chunks.Add(new RtcpSdesChunk(ssrc, items));
        }

        return new RtcpSourceDescription(chunks);
    }
}

/// <summary>Appends RTCP packets to a buffer, building a compound packet (RFC 3550 §6.1).</summary>
public ref struct RtcpWriter
{
    private readonly Span<byte> _buffer;
    private int _length;

    public RtcpWriter(Span<byte> buffer)
    {
        _buffer = buffer;
        _length = 0;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void WriteSenderReport(uint ssrc, ulong ntpTimestamp, uint rtpTimestamp, uint packetCount, uint octetCount, scoped ReadOnlySpan<RtcpReportBlock> reports = default)
    {
        var p = Begin(RtcpPacketType.SenderReport, reports.Length, 28 + (reports.Length * RtcpReportBlock.Length));
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], ssrc);
        BinaryPrimitives.WriteUInt64BigEndian(p[8..], ntpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(p[16..], rtpTimestamp);
        BinaryPrimitives.WriteUInt32BigEndian(p[20..], packetCount);
        BinaryPrimitives.WriteUInt32BigEndian(p[24..], octetCount);
        for (int i = 0; i < reports.Length; i++)
        {
            reports[i].Write(p[(28 + (i * RtcpReportBlock.Length))..]);
        }
    }

    public void WriteReceiverReport(uint ssrc, scoped ReadOnlySpan<RtcpReportBlock> reports = default)
    {
        var p = Begin(RtcpPacketType.ReceiverReport, reports.Length, 8 + (reports.Length * RtcpReportBlock.Length));
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], ssrc);
        for (int i = 0; i < reports.Length; i++)
        {
            reports[i].Write(p[(8 + (i * RtcpReportBlock.Length))..]);
        }
    }

    /// <summary>SDES with one chunk carrying a CNAME item.</summary>
    public void WriteSdesCname(uint ssrc, string cname)
    {
        int textLength = Encoding.UTF8.GetByteCount(cname);
        if (textLength > 255)
        {
            throw new ArgumentException("CNAME is at most 255 bytes.", nameof(cname));
        }

        // chunk: SSRC, CNAME item (2 + text), end item, padded to 32 bits
        int chunk = (4 + 2 + textLength + 1 + 3) & ~3;
        var p = Begin(RtcpPacketType.SourceDescription, 1, 4 + chunk);
        BinaryPrimitives.WriteUInt32BigEndian(p[4..], ssrc);
        p[8] = RtcpSdesChunk.Cname;
        p[9] = (byte)textLength;
        Encoding.UTF8.GetBytes(cname, p[10..]);
        p[(10 + textLength)..].Clear();
    }

    public void WriteGoodbye(scoped ReadOnlySpan<uint> ssrcs, string? reason = null)
    {
        int reasonLength = reason is null ? 0 : Encoding.UTF8.GetByteCount(reason);
        if (ssrcs.Length > 31 || reasonLength > 255)
        {
            throw new ArgumentException("BYE carries at most 31 SSRCs and a 255-byte reason.");
        }

        int body = 4 + (4 * ssrcs.Length) + (reason is null ? 0 : 1 + reasonLength);
        var p = Begin(RtcpPacketType.Goodbye, ssrcs.Length, (body + 3) & ~3);
        for (int i = 0; i < ssrcs.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(p[(4 + (4 * i))..], ssrcs[i]);
        }

        if (reason is not null)
        {
            int at = 4 + (4 * ssrcs.Length);
            p[at] = (byte)reasonLength;
            Encoding.UTF8.GetBytes(reason, p[(at + 1)..]);
            p[(at + 1 + reasonLength)..].Clear();
        }
    }

    private Span<byte> Begin(byte type, int count, int length)
    {
        if (count > 31 || (length & 3) != 0 || _length + length > _buffer.Length)
        {
            throw new ArgumentException("RTCP packet does not fit.");
        }

        var p = _buffer.Slice(_length, length);
        p[0] = (byte)(0x80 | count);
        p[1] = type;
        BinaryPrimitives.WriteUInt16BigEndian(p[2..], (ushort)((length / 4) - 1));
        _length += length;
        return p;
    }
}
