namespace Together.Rtc.Srtp;

/// <summary>The DTLS-SRTP protection profiles we negotiate (RFC 5764 §4.1.2, RFC 7714 §14.2).</summary>
public enum SrtpProfile : ushort
{
    AesCm128HmacSha1Tag80 = 0x0001,
    AeadAes128Gcm = 0x0007,
}

public static class SrtpProfileInfo
{
    public const int MasterKeyLength = 16;

    public static int MasterSaltLength(SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 12 : 14;

    /// <summary>Bytes added to an RTP packet by protection: HMAC-SHA1-80 tag, or the GCM tag.</summary>
    public static int RtpOverhead(SrtpProfile profile) => profile == SrtpProfile.AeadAes128Gcm ? 16 : 10;

    /// <summary>Bytes added to an RTCP packet: the E|index word plus the tag.</summary>
    public static int RtcpOverhead(SrtpProfile profile) => 4 + RtpOverhead(profile);

    /// <summary>Length of the DTLS exporter output: two keys and two salts (RFC 5764 §4.2).</summary>
    public static int KeyingMaterialLength(SrtpProfile profile) => 2 * (MasterKeyLength + MasterSaltLength(profile));

    public static bool IsSupported(int profile) =>
        profile is (int)SrtpProfile.AesCm128HmacSha1Tag80 or (int)SrtpProfile.AeadAes128Gcm;
}
