using System.Buffers.Binary;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Together.Rtc.Stun;

/// <summary>
/// Builds a STUN message into a caller's buffer. Add attributes in order, then optionally
/// MESSAGE-INTEGRITY and FINGERPRINT last (RFC 8489 §14.5, §14.7).
/// </summary>
public ref struct StunWriter
{
    private readonly Span<byte> _buffer;
    private readonly byte _padding;
    private int _length;

    /// <param name="padding">Value of padding bytes; RFC 8489 lets it be anything (RFC 5769 uses 0x20).</param>
    public StunWriter(Span<byte> buffer, ushort method, StunClass stunClass, ReadOnlySpan<byte> transactionId, byte padding = 0)
    {
        if (transactionId.Length != StunConstants.TransactionIdLength)
        {
            throw new ArgumentException("A STUN transaction id is 12 bytes.", nameof(transactionId));
        }

        _buffer = buffer;
        _padding = padding;
        int cls = (int)stunClass;
        ushort type = (ushort)((method & 0x000F) | ((method & 0x0070) << 1) | ((method & 0x0F80) << 2)
            | ((cls & 1) << 4) | ((cls & 2) << 7));
        BinaryPrimitives.WriteUInt16BigEndian(buffer, type);
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], 0);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], StunConstants.MagicCookie);
        transactionId.CopyTo(buffer[8..]);
        _length = StunConstants.HeaderLength;
    }

    public readonly int Length => _length;

    public readonly ReadOnlySpan<byte> Written => _buffer[.._length];

    public void AddAttribute(ushort type, ReadOnlySpan<byte> value)
    {
        var slot = Reserve(type, value.Length);
        value.CopyTo(slot);
    }

    public void AddString(ushort type, string value)
    {
        var slot = Reserve(type, Encoding.UTF8.GetByteCount(value));
        Encoding.UTF8.GetBytes(value, slot);
    }

    public void AddUInt32(ushort type, uint value) =>
        BinaryPrimitives.WriteUInt32BigEndian(Reserve(type, 4), value);

    public void AddUInt64(ushort type, ulong value) =>
        BinaryPrimitives.WriteUInt64BigEndian(Reserve(type, 8), value);

    public void AddFlag(ushort type) => Reserve(type, 0);

    public void AddUsername(string username) => AddString(StunAttributeType.Username, username);

    public void AddPriority(uint priority) => AddUInt32(StunAttributeType.Priority, priority);

    public void AddUseCandidate() => AddFlag(StunAttributeType.UseCandidate);

    public void AddIceControlling(ulong tieBreaker) => AddUInt64(StunAttributeType.IceControlling, tieBreaker);

    public void AddIceControlled(ulong tieBreaker) => AddUInt64(StunAttributeType.IceControlled, tieBreaker);

    /// <summary>ERROR-CODE (RFC 8489 §14.8), e.g. 400 Bad Request, 401 Unauthorized, 487 Role Conflict.</summary>
    public void AddErrorCode(int code, string reason)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(code, 300);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(code, 699);
        var slot = Reserve(StunAttributeType.ErrorCode, 4 + Encoding.UTF8.GetByteCount(reason));
        slot[0] = 0;
        slot[1] = 0;
        slot[2] = (byte)(code / 100);
        slot[3] = (byte)(code % 100);
        Encoding.UTF8.GetBytes(reason, slot[4..]);
    }

    public void AddXorMappedAddress(IPEndPoint endPoint)
    {
        bool v6 = endPoint.AddressFamily == AddressFamily.InterNetworkV6;
        int addressLength = v6 ? 16 : 4;
        var slot = Reserve(StunAttributeType.XorMappedAddress, 4 + addressLength);
        slot[0] = 0;
        slot[1] = v6 ? (byte)0x02 : (byte)0x01;
        BinaryPrimitives.WriteUInt16BigEndian(slot[2..], (ushort)(endPoint.Port ^ (int)(StunConstants.MagicCookie >> 16)));
        if (!endPoint.Address.TryWriteBytes(slot[4..], out _))
        {
            throw new ArgumentException("Address did not fit.", nameof(endPoint));
        }

        Span<byte> mask = stackalloc byte[16];
        BinaryPrimitives.WriteUInt32BigEndian(mask, StunConstants.MagicCookie);
        _buffer.Slice(8, StunConstants.TransactionIdLength).CopyTo(mask[4..]);
        for (int i = 0; i < addressLength; i++)
        {
            slot[4 + i] ^= mask[i];
        }
    }

    public void AddMessageIntegrity(ReadOnlySpan<byte> key)
    {
        int offset = _length;
        var slot = Reserve(StunAttributeType.MessageIntegrity, StunConstants.MessageIntegrityLength);
        StunMessage.ComputeIntegrity(_buffer[..offset], key, slot);
    }

    public void AddFingerprint()
    {
        int offset = _length;
        var slot = Reserve(StunAttributeType.Fingerprint, 4);
        BinaryPrimitives.WriteUInt32BigEndian(slot, Crc32.Compute(_buffer[..offset]) ^ StunConstants.FingerprintXor);
    }

    private Span<byte> Reserve(ushort type, int valueLength)
    {
        int padded = (valueLength + 3) & ~3;
        if (valueLength > ushort.MaxValue || _length + 4 + padded > _buffer.Length)
        {
            throw new ArgumentException("STUN message does not fit the buffer.");
        }

        BinaryPrimitives.WriteUInt16BigEndian(_buffer[_length..], type);
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[(_length + 2)..], (ushort)valueLength);
        var value = _buffer.Slice(_length + 4, valueLength);
        _buffer.Slice(_length + 4 + valueLength, padded - valueLength).Fill(_padding);
        _length += 4 + padded;

        // The header length always covers what is written so far, which is what both
        // MESSAGE-INTEGRITY and FINGERPRINT are defined over.
        BinaryPrimitives.WriteUInt16BigEndian(_buffer[2..], (ushort)(_length - StunConstants.HeaderLength));
        return value;
    }
}
