namespace Together.Rtc.Srtp;

/// <summary>The AES-CM PRF of RFC 3711 §4.3 with a key derivation rate of zero (all WebRTC uses).</summary>
public static class SrtpKeyDerivation
{
    public const byte RtpEncryption = 0;
    public const byte RtpAuthentication = 1;
    public const byte RtpSalt = 2;
    public const byte RtcpEncryption = 3;
    public const byte RtcpAuthentication = 4;
    public const byte RtcpSalt = 5;

    /// <summary>
    /// Derives <paramref name="output"/>.Length bytes for <paramref name="label"/>. The label is
    /// xored into byte 7 of the 14-byte salt (key_id = label || r, right-aligned); a 12-byte AEAD
    /// master salt is zero-padded on the right to 14 bytes first, as libsrtp and Chromium do.
    /// </summary>
    public static void Derive(ReadOnlySpan<byte> masterKey, ReadOnlySpan<byte> masterSalt, byte label, Span<byte> output)
    {
        if (masterSalt.Length is not (12 or 14))
        {
            throw new ArgumentException("Master salt is 14 bytes (AES-CM) or 12 (AEAD).", nameof(masterSalt));
        }

        Span<byte> iv = stackalloc byte[16];
        iv.Clear();
        masterSalt.CopyTo(iv);
        iv[7] ^= label;
        using var ctr = new AesCounterMode(masterKey);
        ctr.Keystream(iv, output);
    }
}
