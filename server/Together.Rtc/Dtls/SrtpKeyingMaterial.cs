using Together.Rtc.Srtp;

namespace Together.Rtc.Dtls;

/// <summary>
/// The SRTP master keys exported from a DTLS handshake (RFC 5764 §4.2): the exporter output is
/// client key | server key | client salt | server salt. Each side protects with its own write
/// key and unprotects with the other's.
/// </summary>
public sealed class SrtpKeyingMaterial
{
    internal SrtpKeyingMaterial(SrtpProfile profile, bool isServer, byte[] exported)
    {
        Profile = profile;
        IsServer = isServer;
        int key = SrtpProfileInfo.MasterKeyLength;
        int salt = SrtpProfileInfo.MasterSaltLength(profile);
        ClientKey = exported[..key];
        ServerKey = exported[key..(2 * key)];
        ClientSalt = exported[(2 * key)..((2 * key) + salt)];
        ServerSalt = exported[((2 * key) + salt)..((2 * key) + (2 * salt))];
    }

    public SrtpProfile Profile { get; }

    public bool IsServer { get; }

    internal byte[] ClientKey { get; }

    internal byte[] ServerKey { get; }

    internal byte[] ClientSalt { get; }

    internal byte[] ServerSalt { get; }

    /// <summary>The context that protects what this side sends.</summary>
    public SrtpSession CreateSender() => IsServer
        ? new SrtpSession(Profile, ServerKey, ServerSalt)
        : new SrtpSession(Profile, ClientKey, ClientSalt);

    /// <summary>The context that unprotects what the other side sends.</summary>
    public SrtpSession CreateReceiver() => IsServer
        ? new SrtpSession(Profile, ClientKey, ClientSalt)
        : new SrtpSession(Profile, ServerKey, ServerSalt);
}
