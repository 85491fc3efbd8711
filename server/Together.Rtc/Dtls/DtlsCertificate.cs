using System.Security.Cryptography;
using Org.BouncyCastle.Asn1.Sec;
using Org.BouncyCastle.Asn1.X509;
using Org.BouncyCastle.Crypto;
using Org.BouncyCastle.Crypto.Generators;
using Org.BouncyCastle.Crypto.Operators;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Math;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Together.Rtc.Dtls;

/// <summary>
/// Our DTLS identity: a self-signed ECDSA P-256 certificate. WebRTC does not use a PKI; the
/// peer trusts the certificate because its SHA-256 fingerprint travels in the signalled SDP
/// (RFC 8122, RFC 8842).
/// </summary>
public sealed class DtlsCertificate
{
    private DtlsCertificate(byte[] der, AsymmetricKeyParameter privateKey)
    {
        Der = der;
        PrivateKey = privateKey;
        Fingerprint = DtlsFingerprint.Compute(der, "sha-256");
    }

    public byte[] Der { get; }

    /// <summary>The value for <c>a=fingerprint</c>, e.g. <c>sha-256 AB:CD:…</c>.</summary>
    public DtlsFingerprint Fingerprint { get; }

    internal AsymmetricKeyParameter PrivateKey { get; }

    public static DtlsCertificate Generate(TimeProvider? timeProvider = null)
    {
        var random = new SecureRandom();
        var generator = new ECKeyPairGenerator();
        generator.Init(new ECKeyGenerationParameters(SecObjectIdentifiers.SecP256r1, random));
        var keys = generator.GenerateKeyPair();

        var now = (timeProvider ?? TimeProvider.System).GetUtcNow().UtcDateTime;
        var name = new X509Name("CN=together-rtc");
        var builder = new X509V3CertificateGenerator();
        builder.SetSerialNumber(new BigInteger(1, RandomNumberGenerator.GetBytes(8)));
        builder.SetIssuerDN(name);
        builder.SetSubjectDN(name);
        builder.SetNotBefore(now.AddDays(-1)); // tolerate a peer whose clock is behind
        builder.SetNotAfter(now.AddDays(30));
        builder.SetPublicKey(keys.Public);
        var certificate = builder.Generate(new Asn1SignatureFactory("SHA256WITHECDSA", keys.Private, random));
        return new DtlsCertificate(certificate.GetEncoded(), keys.Private);
    }
}

/// <summary>An SDP <c>a=fingerprint</c> value: hash function name and colon-separated hex (RFC 8122 §5).</summary>
public sealed record DtlsFingerprint(string Algorithm, string Value)
{
    public override string ToString() => $"{Algorithm} {Value}";

    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out DtlsFingerprint? fingerprint)
    {
        fingerprint = null;
        var parts = text.Trim().Split(' ', 2, StringSplitOptions.RemoveEmptyEntries);
        if (parts.Length != 2 || HashLength(parts[0]) is not int length)
        {
            return false;
        }

        var hex = parts[1].Trim().Replace(":", "", StringComparison.Ordinal);
        if (hex.Length != length * 2 || !hex.All(Uri.IsHexDigit))
        {
            return false;
        }

        fingerprint = new DtlsFingerprint(parts[0].ToLowerInvariant(), Format(Convert.FromHexString(hex)));
        return true;
    }

    public static DtlsFingerprint Compute(ReadOnlySpan<byte> der, string algorithm)
    {
        string name = algorithm.ToLowerInvariant();
        byte[] hash = name switch
        {
            "sha-1" => SHA1.HashData(der),
            "sha-256" => SHA256.HashData(der),
            "sha-384" => SHA384.HashData(der),
            "sha-512" => SHA512.HashData(der),
            _ => throw new ArgumentException($"Unsupported fingerprint hash '{algorithm}'.", nameof(algorithm)),
        };
        return new DtlsFingerprint(name, Format(hash));
    }

    /// <summary>Constant-time comparison of a certificate's hash with this fingerprint.</summary>
    public bool Matches(ReadOnlySpan<byte> der)
    {
        var actual = Compute(der, Algorithm);
        return CryptographicOperations.FixedTimeEquals(
            System.Text.Encoding.ASCII.GetBytes(actual.Value),
            System.Text.Encoding.ASCII.GetBytes(Value));
    }

    private static int? HashLength(string algorithm) => algorithm.ToLowerInvariant() switch
    {
        "sha-1" => 20,
        "sha-256" => 32,
        "sha-384" => 48,
        "sha-512" => 64,
        _ => null,
    };

    private static string Format(byte[] hash) => string.Join(':', hash.Select(b => b.ToString("X2", System.Globalization.CultureInfo.InvariantCulture)));
}
