using System.Buffers.Binary;
using System.Net;
using System.Security.Cryptography;
using System.Text;

namespace Together.Rtc.Stun;

/// <summary>
/// A parsed STUN message (RFC 8489). Parsing copies the datagram, because integrity can only be
/// checked once the caller knows which key applies (it depends on USERNAME). STUN arrives a few
/// times a second per peer, so this copy is off the media path.
/// </summary>
public sealed class StunMessage
{
    private readonly byte[] _raw;
    private readonly List<(ushort Type, int Offset, int Length)> _attributes;
    private readonly int _integrityOffset;

    private StunMessage(byte[] raw, List<(ushort, int, int)> attributes, int integrityOffset, bool hasFingerprint)
    {
        _raw = raw;
        _attributes = attributes;
        _integrityOffset = integrityOffset;
        HasFingerprint = hasFingerprint;
        ushort type = BinaryPrimitives.ReadUInt16BigEndian(raw);
        Method = (ushort)((type & 0x000F) | ((type & 0x00E0) >> 1) | ((type & 0x3E00) >> 2));
        Class = (StunClass)(((type >> 4) & 0x1) | ((type >> 7) & 0x2));
    }

    public ushort Method { get; }

    public StunClass Class { get; }

    public ReadOnlySpan<byte> TransactionId => _raw.AsSpan(8, StunConstants.TransactionIdLength);

    /// <summary>True when a FINGERPRINT attribute was present; parsing already rejected a wrong one.</summary>
    public bool HasFingerprint { get; }

    public bool HasMessageIntegrity => _integrityOffset >= 0;

    public int Length => _raw.Length;

    public IEnumerable<ushort> AttributeTypes => _attributes.Select(a => a.Type);

    public string? Username => GetString(StunAttributeType.Username);

    public string? Software => GetString(StunAttributeType.Software);

    public uint? Priority => TryGet(StunAttributeType.Priority, out var v) && v.Length == 4
        ? BinaryPrimitives.ReadUInt32BigEndian(v)
        : null;

    public bool UseCandidate => Has(StunAttributeType.UseCandidate);

    public ulong? IceControlling => ReadUInt64(StunAttributeType.IceControlling);

    public ulong? IceControlled => ReadUInt64(StunAttributeType.IceControlled);

    public IPEndPoint? XorMappedAddress =>
        TryGet(StunAttributeType.XorMappedAddress, out var v) ? DecodeAddress(v, TransactionId, xor: true) : null;

    public IPEndPoint? MappedAddress =>
        TryGet(StunAttributeType.MappedAddress, out var v) ? DecodeAddress(v, TransactionId, xor: false) : null;

    /// <summary>The ERROR-CODE attribute as a number (300..699), or null (RFC 8489 §14.8).</summary>
    public int? ErrorCode => TryGet(StunAttributeType.ErrorCode, out var v) && v.Length >= 4
        ? ((v[2] & 0x7) * 100) + v[3]
        : null;

    public string? ErrorReason => TryGet(StunAttributeType.ErrorCode, out var v) && v.Length >= 4
        ? Encoding.UTF8.GetString(v[4..])
        : null;

    public bool Has(ushort type) => _attributes.Exists(a => a.Type == type);

    /// <summary>The value of the first attribute of this type (padding excluded).</summary>
    public bool TryGet(ushort type, out ReadOnlySpan<byte> value)
    {
        foreach (var (t, offset, length) in _attributes)
        {
            if (t == type)
            {
                value = _raw.AsSpan(offset, length);
                return true;
            }
        }

        value = default;
        return false;
    }

    public string? GetString(ushort type) => TryGet(type, out var v) ? Encoding.UTF8.GetString(v) : null;

    /// <summary>
    /// Checks MESSAGE-INTEGRITY (RFC 8489 §14.5): HMAC-SHA1 over the message up to the attribute,
    /// with the header length rewritten to end just after it. For ICE the key is the ice-pwd.
    /// </summary>
    public bool VerifyMessageIntegrity(ReadOnlySpan<byte> key)
    {
        if (_integrityOffset < 0)
        {
            return false;
        }

        Span<byte> mac = stackalloc byte[StunConstants.MessageIntegrityLength];
        ComputeIntegrity(_raw.AsSpan(0, _integrityOffset), key, mac);
        return CryptographicOperations.FixedTimeEquals(
            mac, _raw.AsSpan(_integrityOffset + 4, StunConstants.MessageIntegrityLength));
    }

    /// <summary>Parses a STUN message; returns false (never throws) for anything malformed.</summary>
    public static bool TryParse(ReadOnlySpan<byte> data, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out StunMessage? message)
    {
        message = null;
        if (data.Length < StunConstants.HeaderLength || (data[0] & 0xC0) != 0)
        {
            return false;
        }

        int bodyLength = BinaryPrimitives.ReadUInt16BigEndian(data[2..]);
        if ((bodyLength & 3) != 0 || bodyLength + StunConstants.HeaderLength != data.Length)
        {
            return false;
        }

        if (BinaryPrimitives.ReadUInt32BigEndian(data[4..]) != StunConstants.MagicCookie)
        {
            return false;
        }

        var attributes = new List<(ushort, int, int)>();
        int integrityOffset = -1;
        bool hasFingerprint = false;
        int pos = StunConstants.HeaderLength;
        while (pos < data.Length)
        {
            if (hasFingerprint || data.Length - pos < 4)
            {
                return false; // FINGERPRINT must be last (§14.7); no partial attribute header.
            }

            ushort type = BinaryPrimitives.ReadUInt16BigEndian(data[pos..]);
            int length = BinaryPrimitives.ReadUInt16BigEndian(data[(pos + 2)..]);
            int padded = (length + 3) & ~3;
            if (padded > data.Length - pos - 4)
            {
                return false;
            }

            if (type == StunAttributeType.Fingerprint)
            {
                if (length != 4)
                {
                    return false;
                }

                uint expected = Crc32.Compute(data[..pos]) ^ StunConstants.FingerprintXor;
                if (BinaryPrimitives.ReadUInt32BigEndian(data[(pos + 4)..]) != expected)
                {
                    return false;
                }

                hasFingerprint = true;
            }
            else if (integrityOffset >= 0)
            {
                // §14.5: attributes after MESSAGE-INTEGRITY (other than FINGERPRINT) are ignored.
            }
            else if (type == StunAttributeType.MessageIntegrity)
            {
                if (length != StunConstants.MessageIntegrityLength)
                {
                    return false;
                }

                integrityOffset = pos;
            }

            if (type != StunAttributeType.Fingerprint && (integrityOffset < 0 || integrityOffset == pos))
            {
                attributes.Add((type, pos + 4, length));
            }

            pos += 4 + padded;
        }

        message = new StunMessage(data.ToArray(), attributes, integrityOffset, hasFingerprint);
        return true;
    }

    internal static void ComputeIntegrity(ReadOnlySpan<byte> messageUpToIntegrity, ReadOnlySpan<byte> key, Span<byte> mac)
    {
        // The HMAC covers the header with its length field pointing at the end of MESSAGE-INTEGRITY.
        Span<byte> header = stackalloc byte[StunConstants.HeaderLength];
        messageUpToIntegrity[..StunConstants.HeaderLength].CopyTo(header);
        BinaryPrimitives.WriteUInt16BigEndian(
            header[2..],
            (ushort)(messageUpToIntegrity.Length - StunConstants.HeaderLength + 4 + StunConstants.MessageIntegrityLength));
        using var hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, key);
        hmac.AppendData(header);
        hmac.AppendData(messageUpToIntegrity[StunConstants.HeaderLength..]);
        hmac.GetHashAndReset(mac);
    }

    private ulong? ReadUInt64(ushort type) => TryGet(type, out var v) && v.Length == 8
        ? BinaryPrimitives.ReadUInt64BigEndian(v)
        : null;

    private static IPEndPoint? DecodeAddress(ReadOnlySpan<byte> value, ReadOnlySpan<byte> transactionId, bool xor)
    {
        if (value.Length < 4)
        {
            return null;
        }

        byte family = value[1];
        int port = BinaryPrimitives.ReadUInt16BigEndian(value[2..]);
        Span<byte> address = stackalloc byte[16];
        int addressLength = family switch
        {
            0x01 => 4,
            0x02 => 16,
            _ => 0,
        };
        if (addressLength == 0 || value.Length != 4 + addressLength)
        {
            return null;
        }

        value.Slice(4, addressLength).CopyTo(address);
        if (xor)
        {
            // §14.2: port and address are xored with the magic cookie, IPv6 also with the transaction id.
            port ^= (int)(StunConstants.MagicCookie >> 16);
            Span<byte> mask = stackalloc byte[16];
            BinaryPrimitives.WriteUInt32BigEndian(mask, StunConstants.MagicCookie);
            transactionId.CopyTo(mask[4..]);
            for (int i = 0; i < addressLength; i++)
            {
                address[i] ^= mask[i];
            }
        }

        return new IPEndPoint(new IPAddress(address[..addressLength]), port);
    }
}
