using System.Net;
using System.Security.Cryptography;
using System.Text;
using Together.Rtc.Stun;
using Xunit;

namespace Together.Rtc.Tests.Stun;

/// <summary>RFC 5769 test vectors and malformed input.</summary>
public class StunTests
{
    private const string Password = "VOkJxbRl1RmTxUk/WvJxBt";

    // RFC 5769 §2.1 to §2.4, byte for byte.
    private static readonly byte[] SampleRequest = Convert.FromHexString(
        "000100582112a442b7e7a701bc34d686fa87dfae802200105354554e207465737420636c69656e74" +
        "002400046e0001ff80290008932ff9b151263b36000600096576746a3a68367659202020" +
        "000800149aeaa70cbfd8cb56781ef2b5b2d3f249c1b571a280280004e57a3bcf");

    private static readonly byte[] SampleIPv4Response = Convert.FromHexString(
        "0101003c2112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220" +
        "002000080001a147e112a643000800142b91f599fd9e90c38c7489f92af9ba53f06be7d7" +
        "80280004c07d4c96");

    private static readonly byte[] SampleIPv6Response = Convert.FromHexString(
        "010100482112a442b7e7a701bc34d686fa87dfae8022000b7465737420766563746f7220" +
        "002000140002a1470113a9faa5d3f179bc25f4b5bed2b9d9" +
        "00080014a382954e4be67bf11784c97c8292c275bfe3ed4180280004c8fb0b4c");

    private static readonly byte[] SampleLongTermRequest = Convert.FromHexString(
        "000100602112a44278ad3433c6ad72c029da412e00060012e3839ee38388e383aae38383e382afe382b90000" +
        "0015001c662f2f3439396b39353464364f4c33346f4c394653547679363473410014000b6578616d706c652e6f726700" +
        "00080014f67024656dd64a3e02b8e0712e85c9a28ca89666");

    private static readonly byte[] VectorTransactionId = Convert.FromHexString("b7e7a701bc34d686fa87dfae");

    [Fact]
    public void Rfc5769_sample_request_parses_and_authenticates()
    {
        Assert.True(StunMessage.TryParse(SampleRequest, out var m));
        Assert.Equal(StunMethod.Binding, m.Method);
        Assert.Equal(StunClass.Request, m.Class);
        Assert.Equal(VectorTransactionId, m.TransactionId.ToArray());
        Assert.Equal("STUN test client", m.Software);
        Assert.Equal(0x6e0001ffu, m.Priority);
        Assert.Equal(0x932ff9b151263b36ul, m.IceControlled);
        Assert.Null(m.IceControlling);
        Assert.False(m.UseCandidate);
        Assert.Equal("evtj:h6vY", m.Username);
        Assert.True(m.HasFingerprint);
        Assert.True(m.VerifyMessageIntegrity(Encoding.UTF8.GetBytes(Password)));
        Assert.False(m.VerifyMessageIntegrity(Encoding.UTF8.GetBytes("VOkJxbRl1RmTxUk/WvJxBu")));
    }

    [Fact]
    public void Rfc5769_sample_request_is_rebuilt_byte_for_byte()
    {
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, VectorTransactionId, padding: 0x20);
        w.AddString(StunAttributeType.Software, "STUN test client");
        w.AddPriority(0x6e0001ff);
        w.AddIceControlled(0x932ff9b151263b36);
        w.AddUsername("evtj:h6vY");
        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(Password));
        w.AddFingerprint();
        Assert.Equal(Convert.ToHexString(SampleRequest), Convert.ToHexString(w.Written));
    }

    [Fact]
    public void Rfc5769_ipv4_response_parses_and_is_rebuilt()
    {
        Assert.True(StunMessage.TryParse(SampleIPv4Response, out var m));
        Assert.Equal(StunClass.SuccessResponse, m.Class);
        Assert.Equal("test vector", m.Software);
        Assert.Equal(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853), m.XorMappedAddress);
        Assert.True(m.VerifyMessageIntegrity(Encoding.UTF8.GetBytes(Password)));
        Assert.True(m.HasFingerprint);

        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.SuccessResponse, VectorTransactionId, padding: 0x20);
        w.AddString(StunAttributeType.Software, "test vector");
        w.AddXorMappedAddress(new IPEndPoint(IPAddress.Parse("192.0.2.1"), 32853));
        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(Password));
        w.AddFingerprint();
        Assert.Equal(Convert.ToHexString(SampleIPv4Response), Convert.ToHexString(w.Written));
    }

    [Fact]
    public void Rfc5769_ipv6_response_parses_and_is_rebuilt()
    {
        var expected = new IPEndPoint(IPAddress.Parse("2001:db8:1234:5678:11:2233:4455:6677"), 32853);
        Assert.True(StunMessage.TryParse(SampleIPv6Response, out var m));
        Assert.Equal(expected, m.XorMappedAddress);
        Assert.True(m.VerifyMessageIntegrity(Encoding.UTF8.GetBytes(Password)));

        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.SuccessResponse, VectorTransactionId, padding: 0x20);
        w.AddString(StunAttributeType.Software, "test vector");
        w.AddXorMappedAddress(expected);
        w.AddMessageIntegrity(Encoding.UTF8.GetBytes(Password));
        w.AddFingerprint();
        Assert.Equal(Convert.ToHexString(SampleIPv6Response), Convert.ToHexString(w.Written));
    }

    [Fact]
    public void Rfc5769_long_term_credential_request_authenticates()
    {
        Assert.True(StunMessage.TryParse(SampleLongTermRequest, out var m));
        Assert.Equal("\u30DE\u30C8\u30EA\u30C3\u30AF\u30B9", m.Username);
        Assert.Equal("f//499k954d6OL34oL9FSTvy64sA", m.GetString(StunAttributeType.Nonce));
        Assert.Equal("example.org", m.GetString(StunAttributeType.Realm));
        Assert.False(m.HasFingerprint);

        // RFC 8489 §9.2.2: key = MD5(username ":" realm ":" SASLprep(password)); "TheMatrIX" after SASLprep.
        byte[] key = MD5.HashData(Encoding.UTF8.GetBytes(m.Username + ":example.org:TheMatrIX"));
        Assert.True(m.VerifyMessageIntegrity(key));
        key[0] ^= 1;
        Assert.False(m.VerifyMessageIntegrity(key));
    }

    [Fact]
    public void Ice_check_round_trips_with_use_candidate_and_controlling()
    {
        var txn = RandomNumberGenerator.GetBytes(12);
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, txn);
        w.AddUsername("srv1:cli1");
        w.AddIceControlling(0x0102030405060708);
        w.AddPriority(1853817087);
        w.AddUseCandidate();
        w.AddMessageIntegrity("server-password-0123456"u8);
        w.AddFingerprint();

        Assert.True(StunMessage.TryParse(w.Written, out var m));
        Assert.Equal("srv1:cli1", m.Username);
        Assert.Equal(0x0102030405060708ul, m.IceControlling);
        Assert.Equal(1853817087u, m.Priority);
        Assert.True(m.UseCandidate);
        Assert.True(m.VerifyMessageIntegrity("server-password-0123456"u8));
        Assert.Equal(txn, m.TransactionId.ToArray());
    }

    [Fact]
    public void Error_response_carries_code_and_reason()
    {
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.ErrorResponse, VectorTransactionId);
        w.AddErrorCode(487, "Role Conflict");
        w.AddFingerprint();
        Assert.True(StunMessage.TryParse(w.Written, out var m));
        Assert.Equal(StunClass.ErrorResponse, m.Class);
        Assert.Equal(487, m.ErrorCode);
        Assert.Equal("Role Conflict", m.ErrorReason);
        Assert.False(m.HasMessageIntegrity);
    }

    [Fact]
    public void Attributes_after_message_integrity_are_ignored()
    {
        var buffer = new byte[256];
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, VectorTransactionId);
        w.AddUsername("a:b");
        w.AddMessageIntegrity("k"u8);
        w.AddUseCandidate(); // an attacker could append this without the key
        Assert.True(StunMessage.TryParse(w.Written, out var m));
        Assert.False(m.UseCandidate);
        Assert.True(m.VerifyMessageIntegrity("k"u8));
    }

    [Fact]
    public void Every_truncation_is_rejected()
    {
        foreach (var vector in new[] { SampleRequest, SampleIPv4Response, SampleIPv6Response, SampleLongTermRequest })
        {
            for (int length = 0; length < vector.Length; length++)
            {
                Assert.False(StunMessage.TryParse(vector.AsSpan(0, length), out _));
            }
        }
    }

    [Fact]
    public void Every_single_bit_flip_in_a_fingerprinted_message_is_rejected_or_fails_integrity()
    {
        var key = Encoding.UTF8.GetBytes(Password);
        var copy = new byte[SampleRequest.Length];
        for (int bit = 0; bit < SampleRequest.Length * 8; bit++)
        {
            SampleRequest.CopyTo(copy, 0);
            copy[bit / 8] ^= (byte)(1 << (bit % 8));
            // What ICE accepts: FINGERPRINT present and right, MESSAGE-INTEGRITY right (RFC 8445 §7.3).
            // Flipping a bit in FINGERPRINT's type turns it into an ignorable unknown attribute.
            bool accepted = StunMessage.TryParse(copy, out var m) && m.HasFingerprint && m.VerifyMessageIntegrity(key);
            Assert.False(accepted, $"bit {bit} flipped was accepted");
        }
    }

    [Fact]
    public void Random_garbage_never_throws()
    {
        var random = new Random(7);
        var buffer = new byte[600];
        for (int i = 0; i < 20000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            if (i % 2 == 0 && length >= 20)
            {
                // Make the header plausible so the attribute walker is exercised, not just the header check.
                buffer[0] &= 0x3F;
                buffer[2] = (byte)((length - 20) >> 8);
                buffer[3] = (byte)((length - 20) & 0xFC);
                buffer[4] = 0x21; buffer[5] = 0x12; buffer[6] = 0xA4; buffer[7] = 0x42;
            }

            if (StunMessage.TryParse(buffer.AsSpan(0, length), out var m))
            {
                _ = m.XorMappedAddress;
                _ = m.ErrorCode;
                _ = m.ErrorReason;
                _ = m.Username;
                _ = m.Priority;
            }
        }

        // Reaching here is the assertion: no exception escaped the parser or the accessors.
    }
}
