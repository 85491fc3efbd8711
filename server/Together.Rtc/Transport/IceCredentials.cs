using System.Security.Cryptography;

namespace Together.Rtc.Transport;

/// <summary>ICE username fragment and password (RFC 8839 §5.4: ice-chars, ufrag ≥ 4, pwd ≥ 22).</summary>
public sealed record IceCredentials(string Ufrag, string Password)
{
    private const string IceChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

    public static IceCredentials Generate() =>
        new(RandomNumberGenerator.GetString(IceChars, 8), RandomNumberGenerator.GetString(IceChars, 24));
}
