using Org.BouncyCastle.Tls;
using Org.BouncyCastle.Tls.Crypto;
using Org.BouncyCastle.Tls.Crypto.Impl.BC;
using Together.Rtc.Srtp;

namespace Together.Rtc.Dtls;

/// <summary>What both DTLS roles share: suites, versions, certificate checks, key export.</summary>
internal static class DtlsSrtpCommon
{
    public const int HandshakeTimeoutMillis = 10_000;

    // ECDHE_ECDSA with AES-GCM only (what Chromium and Firefox offer first for WebRTC).
    public static readonly int[] CipherSuites =
    [
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256,
        CipherSuite.TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384,
    ];

    /// <summary>
    /// BouncyCastle accepts any certificate; WebRTC's trust comes from the fingerprint in the SDP,
    /// so we compare it here ourselves (RFC 8122 §5), else DTLS is open to a man in the middle.
    /// </summary>
    public static void VerifyPeer(Certificate? certificate, DtlsFingerprint expected)
    {
        if (certificate is null || certificate.IsEmpty)
        {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "peer sent no certificate");
        }

        if (!expected.Matches(certificate.GetCertificateAt(0).GetEncoded()))
        {
            throw new TlsFatalAlert(AlertDescription.bad_certificate, "certificate does not match the SDP fingerprint");
        }
    }

    public static Certificate TlsCertificate(TlsCrypto crypto, DtlsCertificate local) =>
        new([crypto.CreateCertificate(local.Der)]);

    public static TlsCredentialedSigner Signer(TlsContext context, TlsCrypto crypto, DtlsCertificate local) =>
        new BcDefaultTlsCredentialedSigner(
            new TlsCryptoParameters(context),
            (BcTlsCrypto)crypto,
            local.PrivateKey,
            TlsCertificate(crypto, local),
            new SignatureAndHashAlgorithm(HashAlgorithm.sha256, SignatureAlgorithm.ecdsa));

    /// <summary>Must run inside NotifyHandshakeComplete: elsewhere BouncyCastle refuses to export.</summary>
    public static SrtpKeyingMaterial Export(TlsContext context, SrtpProfile profile, bool isServer)
    {
        var exported = context.ExportKeyingMaterial(ExporterLabel.dtls_srtp, null, SrtpProfileInfo.KeyingMaterialLength(profile));
        return new SrtpKeyingMaterial(profile, isServer, exported);
    }
}

/// <summary>DTLS 1.2 server for DTLS-SRTP (RFC 5763/5764): our role towards browsers.</summary>
internal sealed class DtlsSrtpServer : DefaultTlsServer
{
    private readonly DtlsCertificate _local;
    private readonly DtlsFingerprint _remote;
    private readonly IReadOnlyList<SrtpProfile> _preference;
    private bool _peerVerified;
    private SrtpProfile? _profile;

    /// <param name="preference">Profiles we accept, most preferred first (GCM, then AES-CM by default).</param>
    public DtlsSrtpServer(DtlsCertificate local, DtlsFingerprint remote, IReadOnlyList<SrtpProfile> preference, Action<SrtpKeyingMaterial>? keysReady = null)
        : base(new BcTlsCrypto())
    {
        _local = local;
        _remote = remote;
        _preference = preference;
        _keysReady = keysReady;
    }

    private readonly Action<SrtpKeyingMaterial>? _keysReady;

    public SrtpKeyingMaterial? KeyingMaterial { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => DtlsSrtpCommon.CipherSuites;

    public override int GetHandshakeTimeoutMillis() => DtlsSrtpCommon.HandshakeTimeoutMillis;

    protected override TlsCredentialedSigner GetECDsaSignerCredentials() =>
        DtlsSrtpCommon.Signer(m_context, Crypto, _local);

    public override CertificateRequest GetCertificateRequest()
    {
        // Request (and require) the client's certificate: it is what the SDP fingerprint names.
        var algorithms = TlsUtilities.GetDefaultSupportedSignatureAlgorithms(m_context);
        return new CertificateRequest([ClientCertificateType.ecdsa_sign, ClientCertificateType.rsa_sign], algorithms, null);
    }

    public override void NotifyClientCertificate(Certificate clientCertificate)
    {
        DtlsSrtpCommon.VerifyPeer(clientCertificate, _remote);
        _peerVerified = true;
    }

    public override void ProcessClientExtensions(IDictionary<int, byte[]> clientExtensions)
    {
        base.ProcessClientExtensions(clientExtensions);
        var offered = TlsSrtpUtilities.GetUseSrtpExtension(clientExtensions)?.ProtectionProfiles ?? [];
        foreach (var candidate in _preference)
        {
            if (offered.Contains((int)candidate))
            {
                _profile = candidate;
                return;
            }
        }

        throw new TlsFatalAlert(AlertDescription.handshake_failure, "no common SRTP protection profile");
    }

    public override IDictionary<int, byte[]> GetServerExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetServerExtensions());
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData([(int)_profile!.Value], []));
        return extensions;
    }

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        if (!_peerVerified)
        {
            throw new TlsFatalAlert(AlertDescription.handshake_failure, "client certificate was not verified");
        }

        KeyingMaterial = DtlsSrtpCommon.Export(m_context, _profile!.Value, isServer: true);

        // Our Finished is already on the wire and the client may send SRTP the moment it has it:
        // hand the keys over now, on this thread, rather than after Accept returns.
        _keysReady?.Invoke(KeyingMaterial);
    }
}

/// <summary>DTLS 1.2 client for DTLS-SRTP: used by our own client peer (tests, benchmark).</summary>
internal sealed class DtlsSrtpClient : DefaultTlsClient
{
    private readonly DtlsCertificate _local;
    private readonly DtlsFingerprint _remote;
    private readonly int[] _offeredProfiles;
    private readonly Action<SrtpKeyingMaterial>? _keysReady;
    private SrtpProfile? _profile;

    public DtlsSrtpClient(DtlsCertificate local, DtlsFingerprint remote, IReadOnlyList<SrtpProfile> offeredProfiles, Action<SrtpKeyingMaterial>? keysReady = null)
        : base(new BcTlsCrypto())
    {
        _keysReady = keysReady;
        _local = local;
        _remote = remote;
        _offeredProfiles = offeredProfiles.Select(p => (int)p).ToArray();
    }

    public SrtpKeyingMaterial? KeyingMaterial { get; private set; }

    protected override ProtocolVersion[] GetSupportedVersions() => ProtocolVersion.DTLSv12.Only();

    protected override int[] GetSupportedCipherSuites() => DtlsSrtpCommon.CipherSuites;

    public override int GetHandshakeTimeoutMillis() => DtlsSrtpCommon.HandshakeTimeoutMillis;

    public override IDictionary<int, byte[]> GetClientExtensions()
    {
        var extensions = TlsExtensionsUtilities.EnsureExtensionsInitialised(base.GetClientExtensions());
        TlsSrtpUtilities.AddUseSrtpExtension(extensions, new UseSrtpData(_offeredProfiles, []));
        return extensions;
    }

    public override void ProcessServerExtensions(IDictionary<int, byte[]> serverExtensions)
    {
        base.ProcessServerExtensions(serverExtensions);
        var chosen = TlsSrtpUtilities.GetUseSrtpExtension(serverExtensions)?.ProtectionProfiles;
        if (chosen is not { Length: 1 } || !_offeredProfiles.Contains(chosen[0]))
        {
            throw new TlsFatalAlert(AlertDescription.illegal_parameter, "server chose no offered SRTP profile");
        }

        _profile = (SrtpProfile)chosen[0];
    }

    public override TlsAuthentication GetAuthentication() => new Authentication(this);

    public override void NotifyHandshakeComplete()
    {
        base.NotifyHandshakeComplete();
        KeyingMaterial = DtlsSrtpCommon.Export(m_context, _profile!.Value, isServer: false);
        _keysReady?.Invoke(KeyingMaterial);
    }

    private sealed class Authentication(DtlsSrtpClient owner) : TlsAuthentication
    {
        public void NotifyServerCertificate(TlsServerCertificate serverCertificate) =>
            DtlsSrtpCommon.VerifyPeer(serverCertificate.Certificate, owner._remote);

        public TlsCredentials GetClientCredentials(CertificateRequest certificateRequest) =>
            DtlsSrtpCommon.Signer(owner.m_context, owner.Crypto, owner._local);
    }
}
