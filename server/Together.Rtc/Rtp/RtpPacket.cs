using System.Buffers.Binary;

namespace Together.Rtc.Rtp;

/// <summary>
/// A read-only view of an RTP packet (RFC 3550 §5.1) with header extensions (RFC 8285). Parsing
/// only computes offsets; nothing is copied, so it is fit for the per-packet path.
/// </summary>
public readonly ref struct RtpPacket
{
    public const ushort OneByteExtensionProfile = 0xBEDE;
    public const ushort TwoByteExtensionProfileMask = 0xFFF0;
    public const ushort TwoByteExtensionProfile = 0x1000;

    private readonly ReadOnlySpan<byte> _data;
    private readonly int _extensionOffset; // start of extension data (after its 4-byte header), or -1
    private readonly int _extensionLength;

    private RtpPacket(ReadOnlySpan<byte> data, int headerLength, int payloadLength, int extensionOffset, int extensionLength)
    {
        _data = data;
        HeaderLength = headerLength;
        PayloadLength = payloadLength;
        _extensionOffset = extensionOffset;
        _extensionLength = extensionLength;
    }

    public int HeaderLength { get; }

    public int PayloadLength { get; }

    public bool Padding => (_data[0] & 0x20) != 0;

    public bool HasExtension => _extensionOffset >= 0;

    public int CsrcCount => _data[0] & 0x0F;

    public bool Marker => (_data[1] & 0x80) != 0;

    public byte PayloadType => (byte)(_data[1] & 0x7F);

    public ushort SequenceNumber => BinaryPrimitives.ReadUInt16BigEndian(_data[2..]);

    public uint Timestamp => BinaryPrimitives.ReadUInt32BigEndian(_data[4..]);

    public uint Ssrc => BinaryPrimitives.ReadUInt32BigEndian(_data[8..]);

    public ushort ExtensionProfile => HasExtension ? BinaryPrimitives.ReadUInt16BigEndian(_data[(_extensionOffset - 4)..]) : (ushort)0;

    public ReadOnlySpan<byte> ExtensionData => HasExtension ? _data.Slice(_extensionOffset, _extensionLength) : default;

    public ReadOnlySpan<byte> Payload => _data.Slice(HeaderLength, PayloadLength);

    public uint Csrc(int i)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(i);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(i, CsrcCount);
        return BinaryPrimitives.ReadUInt32BigEndian(_data[(12 + (4 * i))..]);
    }

    /// <summary>Parses the header; false (never an exception) for anything malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, out RtpPacket packet)
    {
        packet = default;
        if (data.Length < 12 || (data[0] >> 6) != 2)
        {
            return false;
        }

        int length = 12 + (4 * (data[0] & 0x0F));
        int extensionOffset = -1;
        int extensionLength = 0;
        if ((data[0] & 0x10) != 0)
        {
            if (data.Length < length + 4)
            {
                return false;
            }

            extensionLength = 4 * BinaryPrimitives.ReadUInt16BigEndian(data[(length + 2)..]);
            extensionOffset = length + 4;
            length = extensionOffset + extensionLength;
        }

        if (length > data.Length)
        {
            return false;
        }

        int payloadLength = data.Length - length;
        if ((data[0] & 0x20) != 0)
        {
            // RFC 3550 §5.1: the last octet counts the padding, itself included.
            int pad = data[^1];
            if (pad == 0 || pad > payloadLength)
            {
                return false;
            }

            payloadLength -= pad;
        }

        packet = new RtpPacket(data, length, payloadLength, extensionOffset, extensionLength);
        return true;
    }

    /// <summary>Finds a header extension element by id in either RFC 8285 form.</summary>
    public bool TryGetExtension(int id, out ReadOnlySpan<byte> value)
    {
        var e = new RtpExtensionEnumerator(ExtensionProfile, ExtensionData);
        while (e.MoveNext())
        {
            if (e.Id == id)
            {
                value = e.Value;
                return true;
            }
        }

        value = default;
        return false;
    }

    public RtpExtensionEnumerator Extensions => new(ExtensionProfile, ExtensionData);

    // Rewriting, done in place by the forwarder on its own copy of the packet.
    public static void SetSequenceNumber(Span<byte> packet, ushort value) => BinaryPrimitives.WriteUInt16BigEndian(packet[2..], value);

    public static void SetTimestamp(Span<byte> packet, uint value) => BinaryPrimitives.WriteUInt32BigEndian(packet[4..], value);

    public static void SetSsrc(Span<byte> packet, uint value) => BinaryPrimitives.WriteUInt32BigEndian(packet[8..], value);

    public static void SetPayloadType(Span<byte> packet, byte payloadType) =>
        packet[1] = (byte)((packet[1] & 0x80) | (payloadType & 0x7F));

    public static void SetMarker(Span<byte> packet, bool marker) =>
        packet[1] = (byte)((packet[1] & 0x7F) | (marker ? 0x80 : 0));

    /// <summary>Writes a fixed header plus CSRCs; returns the bytes written.</summary>
    public static int WriteHeader(Span<byte> buffer, byte payloadType, bool marker, ushort sequence, uint timestamp, uint ssrc, ReadOnlySpan<uint> csrcs = default)
    {
        if (csrcs.Length > 15)
        {
            throw new ArgumentException("At most 15 CSRCs.", nameof(csrcs));
        }

        buffer[0] = (byte)(0x80 | csrcs.Length);
        buffer[1] = (byte)((marker ? 0x80 : 0) | (payloadType & 0x7F));
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], sequence);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], timestamp);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], ssrc);
        for (int i = 0; i < csrcs.Length; i++)
        {
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(12 + (4 * i))..], csrcs[i]);
        }

        return 12 + (4 * csrcs.Length);
    }
}

/// <summary>Walks RFC 8285 extension elements, skipping padding bytes, without allocating.</summary>
public ref struct RtpExtensionEnumerator
{
    private readonly ReadOnlySpan<byte> _data;
    private readonly bool _oneByte;
    private readonly bool _twoByte;
    private int _pos;

    public RtpExtensionEnumerator(ushort profile, ReadOnlySpan<byte> data)
    {
        _data = data;
        _oneByte = profile == RtpPacket.OneByteExtensionProfile;
        _twoByte = (profile & RtpPacket.TwoByteExtensionProfileMask) == RtpPacket.TwoByteExtensionProfile;
        _pos = 0;
        Id = 0;
        Value = default;
    }

    public int Id { get; private set; }

    public ReadOnlySpan<byte> Value { get; private set; }

    public bool MoveNext()
    {
        while (_pos < _data.Length)
        {
            if (_oneByte)
            {
                byte b = _data[_pos];
                if (b == 0)
                {
                    _pos++;
                    continue;
                }

                int id = b >> 4;
                if (id == 15)
                {
                    return false; // RFC 8285 §4.2: id 15 stops processing
                }

                int length = (b & 0x0F) + 1;
                if (_pos + 1 + length > _data.Length)
                {
                    return false;
                }

                Id = id;
                Value = _data.Slice(_pos + 1, length);
                _pos += 1 + length;
                return true;
            }

            if (_twoByte)
            {
                if (_data[_pos] == 0)
                {
                    _pos++;
                    continue;
                }

                if (_pos + 2 > _data.Length)
                {
                    return false;
                }

                int length = _data[_pos + 1];
                if (_pos + 2 + length > _data.Length)
                {
                    return false;
                }

                Id = _data[_pos];
                Value = _data.Slice(_pos + 2, length);
                _pos += 2 + length;
                return true;
            }

            return false;
        }

        return false;
    }
}

/// <summary>
/// Builds an RFC 8285 extension block (profile word, length, elements, padding). Uses the
/// one-byte form when every element allows it (id 1..14, 1..16 bytes), else the two-byte form.
/// </summary>
public static class RtpExtensionWriter
{
    /// <summary>Writes the block at <paramref name="buffer"/>; returns its length (a multiple of 4).</summary>
    public static int Write(Span<byte> buffer, ReadOnlySpan<(int Id, byte[] Value)> elements, bool forceTwoByte = false)
    {
        bool oneByte = !forceTwoByte;
        foreach (var (id, value) in elements)
        {
            if (id is < 1 or > 255 || value.Length > 255)
            {
                throw new ArgumentException("Extension id must be 1..255 and values at most 255 bytes.", nameof(elements));
            }

            if (id > 14 || value.Length is 0 or > 16)
            {
                oneByte = false;
            }
        }

        int pos = 4;
        foreach (var (id, value) in elements)
        {
            if (oneByte)
            {
                buffer[pos++] = (byte)((id << 4) | (value.Length - 1));
            }
            else
            {
                buffer[pos++] = (byte)id;
                buffer[pos++] = (byte)value.Length;
            }

            value.CopyTo(buffer[pos..]);
            pos += value.Length;
        }

        while ((pos & 3) != 0)
        {
            buffer[pos++] = 0;
        }

        BinaryPrimitives.WriteUInt16BigEndian(buffer, oneByte ? RtpPacket.OneByteExtensionProfile : RtpPacket.TwoByteExtensionProfile);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], (ushort)((pos - 4) / 4));
        return pos;
    }
}

/// <summary>RFC 6464 client-to-mixer audio level: one byte, V flag and level in -dBov (0 loudest, 127 silence).</summary>
public static class AudioLevel
{
    public const string ExtensionUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";

    public static bool TryRead(in RtpPacket packet, int extensionId, out byte level, out bool voiceActivity)
    {
        level = 127;
        voiceActivity = false;
        if (!packet.TryGetExtension(extensionId, out var value) || value.Length < 1)
        {
            return false;
        }

        level = (byte)(value[0] & 0x7F);
        voiceActivity = (value[0] & 0x80) != 0;
        return true;
    }

    public static byte Encode(byte level, bool voiceActivity) => (byte)((voiceActivity ? 0x80 : 0) | Math.Min(level, (byte)127));
}
