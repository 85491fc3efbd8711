using Together.Rtc.Srtp;
using Xunit;

namespace Together.Rtc.Tests.Srtp;

/// <summary>RFC 3711 Appendix B and RFC 7714 §16/§17 vectors.</summary>
public class SrtpVectorTests
{
    [Fact]
    public void Rfc3711_B2_aes_cm_keystream()
    {
        using var ctr = new AesCounterMode(Convert.FromHexString("2B7E151628AED2A6ABF7158809CF4F3C"));
        var iv = Convert.FromHexString("F0F1F2F3F4F5F6F7F8F9FAFBFCFD0000");
        var keystream = new byte[1044512]; // 65282 blocks, as B.2 states
        ctr.Keystream(iv, keystream);
        Assert.Equal("E03EAD0935C95E80E166B16DD92B4EB4", Convert.ToHexString(keystream, 0, 16));
        Assert.Equal("D23513162B02D0F72A43A2FE4A5F97AB", Convert.ToHexString(keystream, 16, 16));
        Assert.Equal("41E95B3BB0A2E8DD477901E4FCA894C0", Convert.ToHexString(keystream, 32, 16));
        Assert.Equal("EC8CDF7398607CB0F2D21675EA9EA1E4", Convert.ToHexString(keystream, 0xFEFF * 16, 16));
        Assert.Equal("362B7C3C6773516318A077D7FC5073AE", Convert.ToHexString(keystream, 0xFF00 * 16, 16));
        Assert.Equal("6A2CC3787889374FBEB4C81B17BA6C44", Convert.ToHexString(keystream, 0xFF01 * 16, 16));
    }

    [Fact]
    public void Rfc3711_B3_key_derivation()
    {
        var key = Convert.FromHexString("E1F97A0D3E018BE0D64FA32C06DE4139");
        var salt = Convert.FromHexString("0EC675AD498AFEEBB6960B3AABE6");
        var cipherKey = new byte[16];
        var cipherSalt = new byte[14];
        var authKey = new byte[94];
        SrtpKeyDerivation.Derive(key, salt, SrtpKeyDerivation.RtpEncryption, cipherKey);
        SrtpKeyDerivation.Derive(key, salt, SrtpKeyDerivation.RtpSalt, cipherSalt);
        SrtpKeyDerivation.Derive(key, salt, SrtpKeyDerivation.RtpAuthentication, authKey);
        Assert.Equal("C61E7A93744F39EE10734AFE3FF7A087", Convert.ToHexString(cipherKey));
        Assert.Equal("30CBBC08863D8C85D49DB34A9AE1", Convert.ToHexString(cipherSalt));
        Assert.Equal(
            "CEBE321F6FF7716B6FD4AB49AF256A156D38BAA48F0A0ACF3C34E2359E6CDBCE" +
            "E049646C43D9327AD175578EF72270986371C10C9A369AC2F94A8C5FBCDDDC25" +
            "6D6E919A48B610EF17C2041E474035766B68642C59BBFC2F34DB60DBDFB2",
            Convert.ToHexString(authKey));
    }

    // libsrtp's test driver reference packets (srtp_driver.c, srtp_validate), with the RFC 3711
    // B.3 master key: SSRC 0xCAFEBABE, sequence 0x1234, sixteen bytes of 0xAB. Unlike B.2
    // (index and SSRC zero) these pin where SSRC and index go in the AES-CM IV.
    private static readonly byte[] B3MasterKey = Convert.FromHexString("E1F97A0D3E018BE0D64FA32C06DE4139");
    private static readonly byte[] B3MasterSalt = Convert.FromHexString("0EC675AD498AFEEBB6960B3AABE6");

    [Fact]
    public void Libsrtp_reference_rtp_packet_aes_cm_hmac_sha1_80()
    {
        byte[] plain = Convert.FromHexString("800f1234decafbadcafebabeabababababababababababababababab");
        string expected = "800F1234DECAFBADCAFEBABE4E55DC4CE79978D88CA4D215949D2402B78D6ACC99EA179B8DBB";
        using var sender = new SrtpSession(SrtpProfile.AesCm128HmacSha1Tag80, B3MasterKey, B3MasterSalt);
        var buffer = new byte[100];
        plain.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtp(buffer, plain.Length, out int length));
        Assert.Equal(expected, Convert.ToHexString(buffer, 0, length));

        using var receiver = new SrtpSession(SrtpProfile.AesCm128HmacSha1Tag80, B3MasterKey, B3MasterSalt);
        Assert.True(receiver.TryUnprotectRtp(buffer, length, out int plainLength));
        Assert.Equal(plain, buffer[..plainLength]);
    }

    [Fact]
    public void Libsrtp_reference_rtcp_packet_aes_cm_hmac_sha1_80()
    {
        byte[] plain = Convert.FromHexString("81c8000bcafebabeabababababababababababababababab");
        string expected = "81C8000BCAFEBABE7128035BE487B9BDBEF89041F977A5A880000001993E08CD54D6C1230798";
        using var sender = new SrtpSession(SrtpProfile.AesCm128HmacSha1Tag80, B3MasterKey, B3MasterSalt);
        var buffer = new byte[100];
        plain.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtcp(buffer, plain.Length, out int length)); // first index is 1, as in libsrtp
        Assert.Equal(expected, Convert.ToHexString(buffer, 0, length));

        using var receiver = new SrtpSession(SrtpProfile.AesCm128HmacSha1Tag80, B3MasterKey, B3MasterSalt);
        Assert.True(receiver.TryUnprotectRtcp(buffer, length, out int plainLength));
        Assert.Equal(plain, buffer[..plainLength]);
    }

    private static readonly byte[] GcmKey = Convert.FromHexString("000102030405060708090a0b0c0d0e0f");
    private static readonly byte[] GcmSalt = Convert.FromHexString("517569642070726f2071756f");

    private static readonly byte[] Rfc7714Rtp = Convert.FromHexString(
        "8040f17b8041f8d35501a0b247616c6c696120657374206f6d6e69732064697669736120696e207061727465732074726573");

    private static readonly byte[] Rfc7714Srtp = Convert.FromHexString(
        "8040f17b8041f8d35501a0b2f24de3a3fb34de6cacba861c9d7e4bcabe633bd50d294e6f42a5f47a51c7d19b36de3adf" +
        "8833899d7f27beb16a9152cf765ee4390cce");

    private static readonly byte[] Rfc7714Rtcp = Convert.FromHexString(
        "81c8000d4d6172734e5450314e545032525450200000042a0000e9304c756e61deadbeefdeadbeefdeadbeefdeadbeefdeadbeef");

    private static readonly byte[] Rfc7714Srtcp = Convert.FromHexString(
        "81c8000d4d61727363e94885dcdab67ca727d7662f6b7e997ff5c0f76c06f32dc676a5f1730d6fda4ce09b4686303ded" +
        "0bb9275bc84aa45896cf4d2fc5abf87245d9eade800005d4");

    [Fact]
    public void Rfc7714_16_rtp_aead_aes_128_gcm_encrypts_and_decrypts()
    {
        using var sender = new SrtpSession(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);
        var buffer = new byte[200];
        Rfc7714Rtp.CopyTo(buffer, 0);
        Assert.True(sender.TryProtectRtp(buffer, Rfc7714Rtp.Length, out int length));
        Assert.Equal(Convert.ToHexString(Rfc7714Srtp), Convert.ToHexString(buffer, 0, length));

        using var receiver = new SrtpSession(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);
        Assert.True(receiver.TryUnprotectRtp(buffer, length, out int plain));
        Assert.Equal(Convert.ToHexString(Rfc7714Rtp), Convert.ToHexString(buffer, 0, plain));
    }

    [Fact]
    public void Rfc7714_17_rtcp_aead_aes_128_gcm_encrypts_and_decrypts()
    {
        using var sender = new SrtpSession(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);
        var buffer = new byte[200];
        Rfc7714Rtcp.CopyTo(buffer, 0);
        int length = sender.ProtectRtcpWithIndex(buffer, Rfc7714Rtcp.Length, 0x4d617273, 0x5d4);
        Assert.Equal(Convert.ToHexString(Rfc7714Srtcp), Convert.ToHexString(buffer, 0, length));

        using var receiver = new SrtpSession(SrtpProfile.AeadAes128Gcm, GcmKey, GcmSalt, ReadOnlySpan<byte>.Empty);
        Rfc7714Srtcp.CopyTo(buffer, 0);
        Assert.True(receiver.TryUnprotectRtcp(buffer, Rfc7714Srtcp.Length, out int plain));
        Assert.Equal(Convert.ToHexString(Rfc7714Rtcp), Convert.ToHexString(buffer, 0, plain));

        // Replayed SRTCP index is refused.
        Rfc7714Srtcp.CopyTo(buffer, 0);
        Assert.False(receiver.TryUnprotectRtcp(buffer, Rfc7714Srtcp.Length, out _));
    }

    [Fact]
    public void Gcm_key_derivation_uses_the_zero_padded_12_byte_salt()
    {
        // The AEAD master salt is 12 bytes; libsrtp pads it to 14 with zeros before xoring the label
        // into byte 7. Deriving from the 12-byte salt must equal deriving from the padded 14 bytes.
        var key = Convert.FromHexString("E1F97A0D3E018BE0D64FA32C06DE4139");
        var salt12 = Convert.FromHexString("0EC675AD498AFEEBB6960B3A");
        var salt14 = Convert.FromHexString("0EC675AD498AFEEBB6960B3A0000");
        var a = new byte[16];
        var b = new byte[16];
        SrtpKeyDerivation.Derive(key, salt12, SrtpKeyDerivation.RtcpEncryption, a);
        SrtpKeyDerivation.Derive(key, salt14, SrtpKeyDerivation.RtcpEncryption, b);
        Assert.Equal(b, a);
        SrtpKeyDerivation.Derive(key, salt14, SrtpKeyDerivation.RtpEncryption, b);
        Assert.NotEqual(b, a);
    }
}
