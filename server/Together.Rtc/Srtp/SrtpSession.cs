using System.Buffers.Binary;
using System.Security.Cryptography;

namespace Together.Rtc.Srtp;

/// <summary>
/// One direction of an SRTP/SRTCP crypto context (RFC 3711, RFC 7714): the session keys derived
/// from one master key and salt, plus per-SSRC rollover counters, replay windows and SRTCP
/// indexes. Use one instance to protect what we send and another to unprotect what we receive.
/// Not thread-safe: the caller serializes access (the transport does, per peer and direction).
/// Nothing on the per-packet path allocates once an SSRC has been seen.
/// </summary>
public sealed class SrtpSession : IDisposable
{
    /// <summary>Caps per-session SSRC state so a peer cannot grow it without bound.</summary>
    public const int MaxStreams = 256;

    private readonly SrtpProfile _profile;
    private readonly Keys _rtp;
    private readonly Keys _rtcp;
    private readonly Dictionary<uint, StreamState> _streams = [];
    private readonly Dictionary<uint, RtcpState> _rtcpStreams = [];

    public SrtpSession(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt)
    {
        if (masterKey.Length != SrtpProfileInfo.MasterKeyLength || masterSalt.Length != SrtpProfileInfo.MasterSaltLength(profile))
        {
            throw new ArgumentException("Master key or salt has the wrong length for the profile.");
        }

        _profile = profile;
        _rtp = new Keys(profile, masterKey, masterSalt, SrtpKeyDerivation.RtpEncryption);
        _rtcp = new Keys(profile, masterKey, masterSalt, SrtpKeyDerivation.RtcpEncryption);
    }

    /// <summary>Builds a context from already-derived session keys (RFC 7714's vectors give these).</summary>
    internal SrtpSession(SrtpProfile profile, ReadOnlySpan<byte> sessionKey, ReadOnlySpan<byte> sessionSalt, ReadOnlySpan<byte> authKey)
    {
        _profile = profile;
        _rtp = new Keys(profile, sessionKey, sessionSalt, authKey);
        _rtcp = new Keys(profile, sessionKey, sessionSalt, authKey);
    }

    public SrtpProfile Profile => _profile;

    /// <summary>The rollover counter currently held for an SSRC (tests and diagnostics).</summary>
    public uint? RolloverCounter(uint ssrc) => _streams.TryGetValue(ssrc, out var s) ? s.Roc : null;

    /// <summary>
    /// Encrypts and authenticates an RTP packet in place. <paramref name="buffer"/> must have room
    /// for <see cref="SrtpProfileInfo.RtpOverhead"/> more bytes after <paramref name="length"/>.
    /// </summary>
    public bool TryProtectRtp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if ((uint)length > (uint)buffer.Length)
        {
            return false;
        }

        int header = RtpHeaderLength(buffer[..length]);
        if (header < 0 || buffer.Length < length + SrtpProfileInfo.RtpOverhead(_profile))
        {
            return false;
        }

        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(buffer[2..]);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[8..]);
        if (!_streams.TryGetValue(ssrc, out var state))
        {
            if (_streams.Count >= MaxStreams)
            {
                return false;
            }

            state = new StreamState { Roc = 0, LastSeq = seq };
            _streams.Add(ssrc, state);
        }

        // The sender's ROC follows its own sequence numbers, with the same estimate as the receiver.
        ulong index = EstimateIndex(state, seq, out uint roc);
        Commit(state, seq, roc);
        protectedLength = _profile == SrtpProfile.AeadAes128Gcm
            ? ProtectGcm(_rtp, buffer, header, length, RtpNonce(_rtp.Salt, ssrc, index))
            : ProtectCtrHmac(_rtp, buffer, header, length, ssrc, index, roc);
        return true;
    }

    /// <summary>
    /// Authenticates, replay-checks and decrypts an SRTP packet in place. State (ROC, highest
    /// sequence, replay window) changes only after the packet authenticated (RFC 3711 §3.3).
    /// </summary>
    public bool TryUnprotectRtp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        int overhead = SrtpProfileInfo.RtpOverhead(_profile);
        if ((uint)length > (uint)buffer.Length)
        {
            return false;
        }

        var packet = buffer[..length];
        int header = RtpHeaderLength(packet);
        if (header < 0 || length < header + overhead)
        {
            return false;
        }

        ushort seq = BinaryPrimitives.ReadUInt16BigEndian(packet[2..]);
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[8..]);
        bool known = _streams.TryGetValue(ssrc, out var state);
        ulong index;
        uint roc;
        if (known)
        {
            index = EstimateIndex(state!, seq, out roc);
            if (roc == uint.MaxValue || !state!.Replay.Check(index))
            {
                return false; // older than the first packet of the stream, or replayed
            }
        }
        else
        {
            if (_streams.Count >= MaxStreams)
            {
                return false;
            }

            roc = 0; // RFC 3711 §3.3.1: the receiver starts with ROC 0 and s_l = the first seq.
            index = seq;
        }

        int payloadEnd = length - overhead;
        bool ok = _profile == SrtpProfile.AeadAes128Gcm
            ? UnprotectGcm(_rtp, packet, header, payloadEnd, RtpNonce(_rtp.Salt, ssrc, index))
            : UnprotectCtrHmac(_rtp, packet, header, payloadEnd, ssrc, index, roc);
        if (!ok)
        {
            return false;
        }

        if (!known)
        {
            state = new StreamState { Roc = 0, LastSeq = seq };
            _streams.Add(ssrc, state);
        }

        Commit(state!, seq, roc);
        state!.Replay.Accept(index);
        plainLength = payloadEnd;
        return true;
    }

    /// <summary>Encrypts an RTCP (compound) packet in place, appending the E|index word and tag.</summary>
    public bool TryProtectRtcp(Span<byte> buffer, int length, out int protectedLength)
    {
        protectedLength = 0;
        if (length < 8 || length > buffer.Length || buffer.Length < length + SrtpProfileInfo.RtcpOverhead(_profile))
        {
            return false;
        }

        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(buffer[4..]);
        if (!_rtcpStreams.TryGetValue(ssrc, out var state))
        {
            if (_rtcpStreams.Count >= MaxStreams)
            {
                return false;
            }

            state = new RtcpState();
            _rtcpStreams.Add(ssrc, state);
        }

        uint index = state.NextIndex;
        state.NextIndex = (state.NextIndex + 1) & 0x7FFFFFFF;
        protectedLength = ProtectRtcpWithIndex(buffer, length, ssrc, index);
        return true;
    }

    internal int ProtectRtcpWithIndex(Span<byte> buffer, int length, uint ssrc, uint index)
    {
        uint eIndex = 0x80000000u | index; // E flag: we always encrypt SRTCP
        if (_profile == SrtpProfile.AeadAes128Gcm)
        {
            // RFC 7714 §9: AAD = header (8 bytes) || E|index; the word goes after the tag on the wire.
            Span<byte> aad = stackalloc byte[12];
            buffer[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], eIndex);
            var nonce = RtcpNonce(_rtcp.Salt, ssrc, index);
            var plain = buffer[8..length];
            var tag = buffer.Slice(length, 16);
            _rtcp.Gcm!.Encrypt(nonce, plain, plain, tag, aad);
            BinaryPrimitives.WriteUInt32BigEndian(buffer[(length + 16)..], eIndex);
            return length + 20;
        }

        Span<byte> iv = stackalloc byte[16];
        CtrIv(_rtcp.Salt, ssrc, index, iv);
        _rtcp.Ctr!.Apply(iv, buffer[8..length]);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[length..], eIndex);
        Span<byte> mac = stackalloc byte[20];
        _rtcp.Hmac!.AppendData(buffer[..(length + 4)]);
        _rtcp.Hmac.GetHashAndReset(mac);
        mac[..10].CopyTo(buffer[(length + 4)..]);
        return length + 14;
    }

    /// <summary>Authenticates, replay-checks and decrypts an SRTCP packet in place.</summary>
    public bool TryUnprotectRtcp(Span<byte> buffer, int length, out int plainLength)
    {
        plainLength = 0;
        int overhead = SrtpProfileInfo.RtcpOverhead(_profile);
        if (length > buffer.Length || length < 8 + overhead || (buffer[0] >> 6) != 2)
        {
            return false;
        }

        var packet = buffer[..length];
        uint ssrc = BinaryPrimitives.ReadUInt32BigEndian(packet[4..]);
        int payloadEnd = length - overhead;
        uint eIndex;
        bool ok;
        if (_profile == SrtpProfile.AeadAes128Gcm)
        {
            eIndex = BinaryPrimitives.ReadUInt32BigEndian(packet[(length - 4)..]);
            if (!CheckRtcpReplay(ssrc, eIndex & 0x7FFFFFFF))
            {
                return false;
            }

            Span<byte> aad = stackalloc byte[12];
            packet[..8].CopyTo(aad);
            BinaryPrimitives.WriteUInt32BigEndian(aad[8..], eIndex);
            var nonce = RtcpNonce(_rtcp.Salt, ssrc, eIndex & 0x7FFFFFFF);
            var tag = packet.Slice(payloadEnd, 16);
            if ((eIndex & 0x80000000u) != 0)
            {
                ok = TryGcmDecrypt(_rtcp.Gcm!, nonce, packet[8..payloadEnd], tag, aad);
            }
            else
            {
                // Authenticated only: the whole packet is AAD (RFC 7714 §9.2).
                ok = false;
            }
        }
        else
        {
            eIndex = BinaryPrimitives.ReadUInt32BigEndian(packet[payloadEnd..]);
            if (!CheckRtcpReplay(ssrc, eIndex & 0x7FFFFFFF))
            {
                return false;
            }

            Span<byte> mac = stackalloc byte[20];
            _rtcp.Hmac!.AppendData(packet[..(payloadEnd + 4)]);
            _rtcp.Hmac.GetHashAndReset(mac);
            ok = CryptographicOperations.FixedTimeEquals(mac[..10], packet.Slice(payloadEnd + 4, 10));
            if (ok && (eIndex & 0x80000000u) != 0)
            {
                Span<byte> iv = stackalloc byte[16];
                CtrIv(_rtcp.Salt, ssrc, eIndex & 0x7FFFFFFF, iv);
                _rtcp.Ctr!.Apply(iv, packet[8..payloadEnd]);
            }
        }

        if (!ok)
        {
            return false;
        }

        AcceptRtcp(ssrc, eIndex & 0x7FFFFFFF);
        plainLength = payloadEnd;
        return true;
    }

    private bool CheckRtcpReplay(uint ssrc, uint index) =>
        !_rtcpStreams.TryGetValue(ssrc, out var state) || state.Replay.Check(index);

    private void AcceptRtcp(uint ssrc, uint index)
    {
        if (!_rtcpStreams.TryGetValue(ssrc, out var state))
        {
            if (_rtcpStreams.Count >= MaxStreams)
            {
                return;
            }

            state = new RtcpState();
            _rtcpStreams.Add(ssrc, state);
        }

        state.Replay.Accept(index);
    }

    /// <summary>RFC 3711 Appendix A: guess the ROC for <paramref name="seq"/> from s_l and the ROC.</summary>
    private static ulong EstimateIndex(StreamState state, ushort seq, out uint roc)
    {
        roc = state.Roc;
        if (state.LastSeq < 32768)
        {
            if (seq - state.LastSeq > 32768)
            {
                roc = state.Roc == 0 ? uint.MaxValue : state.Roc - 1;
            }
        }
        else if (state.LastSeq - 32768 > seq)
        {
            roc = state.Roc + 1;
        }

        return ((ulong)roc << 16) | seq;
    }

    private static void Commit(StreamState state, ushort seq, uint roc)
    {
        if (roc == state.Roc + 1)
        {
            state.Roc = roc;
            state.LastSeq = seq;
        }
        else if (roc == state.Roc && seq > state.LastSeq)
        {
            state.LastSeq = seq;
        }
    }

    private static int ProtectCtrHmac(Keys keys, Span<byte> buffer, int header, int length, uint ssrc, ulong index, uint roc)
    {
        Span<byte> iv = stackalloc byte[16];
        CtrIv(keys.Salt, ssrc, index, iv);
        keys.Ctr!.Apply(iv, buffer[header..length]);

        // RFC 3711 §4.2: the tag covers the authenticated portion followed by the ROC.
        Span<byte> rocBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rocBytes, roc);
        Span<byte> mac = stackalloc byte[20];
        keys.Hmac!.AppendData(buffer[..length]);
        keys.Hmac.AppendData(rocBytes);
        keys.Hmac.GetHashAndReset(mac);
        mac[..10].CopyTo(buffer[length..]);
        return length + 10;
    }

    private static bool UnprotectCtrHmac(Keys keys, Span<byte> packet, int header, int payloadEnd, uint ssrc, ulong index, uint roc)
    {
        Span<byte> rocBytes = stackalloc byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(rocBytes, roc);
        Span<byte> mac = stackalloc byte[20];
        keys.Hmac!.AppendData(packet[..payloadEnd]);
        keys.Hmac.AppendData(rocBytes);
        keys.Hmac.GetHashAndReset(mac);
        if (!CryptographicOperations.FixedTimeEquals(mac[..10], packet.Slice(payloadEnd, 10)))
        {
            return false;
        }

        Span<byte> iv = stackalloc byte[16];
        CtrIv(keys.Salt, ssrc, index, iv);
        keys.Ctr!.Apply(iv, packet[header..payloadEnd]);
        return true;
    }

    private static int ProtectGcm(Keys keys, Span<byte> buffer, int header, int length, Nonce nonce)
    {
        var plain = buffer[header..length];
        keys.Gcm!.Encrypt(nonce.AsSpan(), plain, plain, buffer.Slice(length, 16), buffer[..header]);
        return length + 16;
    }

    private static bool UnprotectGcm(Keys keys, Span<byte> packet, int header, int payloadEnd, Nonce nonce) =>
        TryGcmDecrypt(keys.Gcm!, nonce.AsSpan(), packet[header..payloadEnd], packet.Slice(payloadEnd, 16), packet[..header]);

    private static bool TryGcmDecrypt(AesGcm gcm, ReadOnlySpan<byte> nonce, Span<byte> data, ReadOnlySpan<byte> tag, ReadOnlySpan<byte> aad)
    {
        try
        {
            gcm.Decrypt(nonce, data, tag, data, aad);
            return true;
        }
        catch (AuthenticationTagMismatchException)
        {
            // Forged or damaged packets are expected input on an open UDP port: drop, don't propagate.
            // .NET zeroes the output on failure, so the caller must not reuse the buffer's contents.
            return false;
        }
    }

    /// <summary>RFC 3711 §4.1.1: IV = (k_s * 2^16) XOR (SSRC * 2^64) XOR (i * 2^16).</summary>
    private static void CtrIv(ReadOnlySpan<byte> salt, uint ssrc, ulong index, Span<byte> iv)
    {
        iv.Clear();
        salt.CopyTo(iv);
        Span<byte> tmp = stackalloc byte[8];
        BinaryPrimitives.WriteUInt32BigEndian(tmp, ssrc);
        for (int i = 0; i < 4; i++)
        {
            iv[4 + i] ^= tmp[i];
        }

        // i * 2^16 is the low 64 bits of the IV: the 48-bit index lands in bytes 8..13.
        BinaryPrimitives.WriteUInt64BigEndian(tmp, index << 16);
        for (int i = 0; i < 8; i++)
        {
            iv[8 + i] ^= tmp[i];
        }
    }

    /// <summary>RFC 7714 §8.1: IV = (00 00 || SSRC || ROC || SEQ) XOR salt.</summary>
    private static Nonce RtpNonce(ReadOnlySpan<byte> salt, uint ssrc, ulong index)
    {
        var nonce = default(Nonce);
        var n = nonce.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(n[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(n[6..], (uint)(index >> 16));
        BinaryPrimitives.WriteUInt16BigEndian(n[10..], (ushort)index);
        for (int i = 0; i < 12; i++)
        {
            n[i] ^= salt[i];
        }

        return nonce;
    }

    /// <summary>RFC 7714 §9.1: IV = (00 00 || SSRC || 00 00 || 0 || SRTCP index) XOR salt.</summary>
    private static Nonce RtcpNonce(ReadOnlySpan<byte> salt, uint ssrc, uint index)
    {
        var nonce = default(Nonce);
        var n = nonce.AsSpan();
        BinaryPrimitives.WriteUInt32BigEndian(n[2..], ssrc);
        BinaryPrimitives.WriteUInt32BigEndian(n[8..], index & 0x7FFFFFFF);
        for (int i = 0; i < 12; i++)
        {
            n[i] ^= salt[i];
        }

        return nonce;
    }

    /// <summary>Length of the RTP header including CSRCs and the extension, or -1 if malformed.</summary>
    internal static int RtpHeaderLength(ReadOnlySpan<byte> packet)
    {
        if (packet.Length < 12 || (packet[0] >> 6) != 2)
        {
            return -1;
        }

        int length = 12 + (4 * (packet[0] & 0x0F));
        if ((packet[0] & 0x10) != 0)
        {
            if (packet.Length < length + 4)
            {
                return -1;
            }

            length += 4 + (4 * BinaryPrimitives.ReadUInt16BigEndian(packet[(length + 2)..]));
        }

        return length <= packet.Length ? length : -1;
    }

    public void Dispose()
    {
        _rtp.Dispose();
        _rtcp.Dispose();
    }

    [System.Runtime.CompilerServices.InlineArray(12)]
    private struct Nonce
    {
        private byte _element0;

        public Span<byte> AsSpan() => System.Runtime.InteropServices.MemoryMarshal.CreateSpan(ref _element0, 12);
    }

    private sealed class StreamState
    {
        public uint Roc;
        public ushort LastSeq;
        public ReplayWindow Replay;
    }

    private sealed class RtcpState
    {
        // libsrtp numbers its first SRTCP packet 1; we do the same.
        public uint NextIndex = 1;
        public ReplayWindow Replay;
    }

    private sealed class Keys : IDisposable
    {
        public Keys(SrtpProfile profile, ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte firstLabel)
        {
            Span<byte> key = stackalloc byte[16];
            SrtpKeyDerivation.Derive(masterKey, masterSalt, firstLabel, key);
            Salt = new byte[SrtpProfileInfo.MasterSaltLength(profile)];
            SrtpKeyDerivation.Derive(masterKey, masterSalt, (byte)(firstLabel + 2), Salt);
            Span<byte> auth = stackalloc byte[20];
            SrtpKeyDerivation.Derive(masterKey, masterSalt, (byte)(firstLabel + 1), auth);
            Init(profile, key, auth);
            CryptographicOperations.ZeroMemory(key);
            CryptographicOperations.ZeroMemory(auth);
        }

        public Keys(SrtpProfile profile, ReadOnlySpan<byte> sessionKey, ReadOnlySpan<byte> sessionSalt, ReadOnlySpan<byte> authKey)
        {
            Salt = sessionSalt.ToArray();
            Init(profile, sessionKey, authKey);
        }

        public byte[] Salt { get; }

        public AesCounterMode? Ctr { get; private set; }

        public IncrementalHash? Hmac { get; private set; }

        public AesGcm? Gcm { get; private set; }

        private void Init(SrtpProfile profile, ReadOnlySpan<byte> key, ReadOnlySpan<byte> auth)
        {
            if (profile == SrtpProfile.AeadAes128Gcm)
            {
                Gcm = new AesGcm(key, 16);
            }
            else
            {
                Ctr = new AesCounterMode(key);
                Hmac = IncrementalHash.CreateHMAC(HashAlgorithmName.SHA1, auth);
            }
        }

        public void Dispose()
        {
            Ctr?.Dispose();
            Hmac?.Dispose();
            Gcm?.Dispose();
        }
    }
}
