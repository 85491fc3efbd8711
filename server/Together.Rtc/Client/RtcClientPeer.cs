using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;
using Together.Rtc.Srtp;
using Together.Rtc.Stun;
using Together.Rtc.Transport;

namespace Together.Rtc.Client;

public delegate void RtcClientPacketHandler(ReadOnlySpan<byte> packet);

/// <summary>
/// A synthetic participant built from the library's own pieces, for tests and the benchmark:
/// a full (controlling) ICE agent for one host candidate pair with aggressive nomination, the
/// DTLS client role, and SRTP. It owns one UDP socket and one receive thread.
/// </summary>
public sealed class RtcClientPeer : IDisposable
{
    private readonly Socket _socket;
    private readonly Thread _receiveThread;
    private readonly IReadOnlyList<SrtpProfile> _profiles;
    private readonly ConcurrentDictionary<string, TaskCompletionSource<StunMessage>> _transactions = new(StringComparer.Ordinal);
    private readonly Lock _sendLock = new();
    private readonly Lock _receiveLock = new();
    private readonly byte[] _sendBuffer = new byte[1500];
    private readonly ulong _tieBreaker = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8));
    private DtlsConnection? _dtls;
    private SrtpSession? _sender;
    private SrtpSession? _receiver;
    private SocketAddress? _remote;
    private byte[]? _remotePassword;
    private string? _username;
    private Timer? _consentTimer;
    private volatile bool _disposed;

    public RtcClientPeer(IPEndPoint? localEndPoint = null, DtlsCertificate? certificate = null, IReadOnlyList<SrtpProfile>? profiles = null)
    {
        Certificate = certificate ?? DtlsCertificate.Generate();
        Local = IceCredentials.Generate();
        _profiles = profiles ?? [SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1Tag80];
        var bind = localEndPoint ?? new IPEndPoint(IPAddress.Loopback, 0);
        _socket = new Socket(bind.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(bind);
        LocalEndPoint = (IPEndPoint)_socket.LocalEndPoint!;
        _receiveThread = new Thread(ReceiveLoop) { IsBackground = true, Name = $"rtc-client-{LocalEndPoint.Port}" };
        _receiveThread.Start();
    }

    public DtlsCertificate Certificate { get; }

    public IceCredentials Local { get; }

    public IPEndPoint LocalEndPoint { get; }

    public SrtpProfile? Profile { get; private set; }

    public bool IsConnected => _sender is not null;

    public event RtcClientPacketHandler? RtpReceived;

    public event RtcClientPacketHandler? RtcpReceived;

    /// <summary>
    /// ICE check (with USE-CANDIDATE) until answered, then the DTLS handshake as client.
    /// </summary>
    public async Task ConnectAsync(
        IPEndPoint remote,
        string remoteUfrag,
        string remotePassword,
        DtlsFingerprint remoteFingerprint,
        DtlsHandshakeLimiter limiter,
        TimeSpan? consentInterval = null,
        CancellationToken cancellationToken = default)
    {
        _remote = remote.Serialize();
        _remotePassword = Encoding.UTF8.GetBytes(remotePassword);
        _username = $"{remoteUfrag}:{Local.Ufrag}";
        var response = await CheckAsync(useCandidate: true, cancellationToken).ConfigureAwait(false);
        if (response.Class != StunClass.SuccessResponse)
        {
            throw new InvalidOperationException($"ICE check failed with {response.ErrorCode} {response.ErrorReason}");
        }

        var dtls = new DtlsConnection(DtlsRole.Client, Certificate, remoteFingerprint, SendRaw, _profiles);
        dtls.KeysReady += InstallKeys; // before the handshake task completes: no early media lost
        _dtls = dtls;
        InstallKeys(await dtls.HandshakeAsync(limiter, cancellationToken).ConfigureAwait(false));

        // RFC 7675: keep consent fresh (browsers check every ~5 s).
        var interval = consentInterval ?? TimeSpan.FromSeconds(5);
        _consentTimer = new Timer(_ => _ = SendConsentCheck(), null, interval, interval);
    }

    private void InstallKeys(SrtpKeyingMaterial keys)
    {
        lock (_receiveLock)
        {
            lock (_sendLock)
            {
                if (_receiver is not null)
                {
                    return;
                }

                _sender = keys.CreateSender();
                _receiver = keys.CreateReceiver();
                Profile = keys.Profile;
            }
        }
    }

    /// <summary>Sends one binding request and waits for its authenticated response.</summary>
    public async Task<StunMessage> CheckAsync(bool useCandidate, CancellationToken cancellationToken = default)
    {
        for (int attempt = 0; attempt < 20; attempt++)
        {
            var transactionId = RandomNumberGenerator.GetBytes(StunConstants.TransactionIdLength);
            var tcs = new TaskCompletionSource<StunMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
            string key = Convert.ToHexString(transactionId);
            _transactions[key] = tcs;
            var buffer = new byte[256];
            int length = BuildCheck(buffer, transactionId, useCandidate);
            SendRaw(buffer.AsSpan(0, length));
            try
            {
                return await tcs.Task.WaitAsync(TimeSpan.FromMilliseconds(100 * (attempt + 1)), cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // RFC 8489 §6.2.1: retransmit with back-off.
            }
            finally
            {
                _transactions.TryRemove(key, out _);
            }
        }

        throw new TimeoutException("No answer to ICE connectivity checks.");
    }

    public bool SendRtp(ReadOnlySpan<byte> packet) => SendMedia(packet, rtcp: false);

    public bool SendRtcp(ReadOnlySpan<byte> packet) => SendMedia(packet, rtcp: true);

    /// <summary>Sends a raw datagram from this peer's socket (tests: junk and floods from an authenticated address).</summary>
    internal void SendDatagram(ReadOnlySpan<byte> datagram) => SendRaw(datagram);

    /// <summary>Sends close_notify, as a browser does when the page closes the connection.</summary>
    public void CloseDtls() => _dtls?.Close();

    private async Task SendConsentCheck()
    {
        try
        {
            await CheckAsync(useCandidate: false).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Consent lost; the server side will notice too.
        }
    }

    private int BuildCheck(Span<byte> buffer, ReadOnlySpan<byte> transactionId, bool useCandidate)
    {
        var w = new StunWriter(buffer, StunMethod.Binding, StunClass.Request, transactionId);
        w.AddUsername(_username!);
        w.AddIceControlling(_tieBreaker);
        w.AddPriority(0x7E7F00FF);
        if (useCandidate)
        {
            w.AddUseCandidate();
        }

        w.AddMessageIntegrity(_remotePassword);
        w.AddFingerprint();
        return w.Length;
    }

    private bool SendMedia(ReadOnlySpan<byte> packet, bool rtcp)
    {
        lock (_sendLock)
        {
            var sender = _sender;
            if (sender is null || packet.Length + SrtpProfileInfo.RtcpOverhead(sender.Profile) > _sendBuffer.Length)
            {
                return false;
            }

            packet.CopyTo(_sendBuffer);
            bool ok = rtcp
                ? sender.TryProtectRtcp(_sendBuffer, packet.Length, out int length)
                : sender.TryProtectRtp(_sendBuffer, packet.Length, out length);
            if (ok)
            {
                SendRaw(_sendBuffer.AsSpan(0, length));
            }

            return ok;
        }
    }

    private void SendRaw(ReadOnlySpan<byte> datagram)
    {
        var remote = _remote;
        if (remote is null || _disposed)
        {
            return;
        }

        try
        {
            _socket.SendTo(datagram, SocketFlags.None, remote);
        }
        catch (SocketException)
        {
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private void ReceiveLoop()
    {
        var buffer = new byte[1500];
        var from = new SocketAddress(_socket.AddressFamily);
        while (!_disposed)
        {
            int length;
            try
            {
                length = _socket.ReceiveFrom(buffer, SocketFlags.None, from);
            }
            catch (SocketException)
            {
                continue;
            }
            catch (ObjectDisposedException)
            {
                return;
            }

            if (length == 0 || _remote is null || !from.Equals(_remote))
            {
                continue; // only the server we connect to
            }

            var packet = buffer.AsSpan(0, length);
            if (packet[0] <= 3)
            {
                OnStun(packet);
            }
            else if (packet[0] is >= 20 and <= 63)
            {
                _dtls?.Feed(packet);
            }
            else if (packet[0] is >= 128 and <= 191)
            {
                OnMedia(packet);
            }
        }
    }

    private void OnStun(ReadOnlySpan<byte> packet)
    {
        if (!StunMessage.TryParse(packet, out var message)
            || message.Class is not (StunClass.SuccessResponse or StunClass.ErrorResponse)
            || !_transactions.TryGetValue(Convert.ToHexString(message.TransactionId), out var tcs))
        {
            return;
        }

        // Success responses must be authenticated with the remote password (RFC 8445 §7.2.5.2).
        if (message.Class == StunClass.SuccessResponse && !message.VerifyMessageIntegrity(_remotePassword))
        {
            return;
        }

        tcs.TrySetResult(message);
    }

    private void OnMedia(Span<byte> packet)
    {
        bool rtcp = RtcpPacketType.IsRtcp(packet);
        int length;
        lock (_receiveLock)
        {
            var receiver = _receiver;
            if (receiver is null)
            {
                return;
            }

            bool ok = rtcp
                ? receiver.TryUnprotectRtcp(packet, packet.Length, out length)
                : receiver.TryUnprotectRtp(packet, packet.Length, out length);
            if (!ok)
            {
                return;
            }
        }

        if (rtcp)
        {
            RtcpReceived?.Invoke(packet[..length]);
        }
        else
        {
            RtpReceived?.Invoke(packet[..length]);
        }
    }

    public void Dispose()
    {
        if (_disposed)
        {
            return;
        }

        _consentTimer?.Dispose();
        _dtls?.Close();
        _disposed = true;
        _socket.Dispose();
        _receiveThread.Join(TimeSpan.FromSeconds(2));
        lock (_receiveLock)
        {
            _receiver?.Dispose();
        }

        lock (_sendLock)
        {
            _sender?.Dispose();
        }
    }

    /// <summary>
    /// What a browser answers to an SFU offer: every m-line the offer did not reject accepted with this peer's ICE
    /// credentials and certificate, as the DTLS client, with Opus and the audio-level extension
    /// (and the MID extension when <paramref name="withMid"/>, as Chromium sends it).
    /// </summary>
    public string Answer(SdpSessionDescription offer, bool withMid = false)
    {
        ArgumentNullException.ThrowIfNull(offer);
        var answer = new SdpSessionDescription { SessionId = 7, Version = 1 };
        foreach (var media in offer.Media)
        {
            if (media.IsRejected)
            {
                // JSEP §5.3.1: an m-line rejected in the offer is rejected (port 0) in the answer.
                var rejected = new SdpMediaSection { Port = 0, Mid = media.Mid, Direction = SdpDirection.Inactive };
                rejected.Codecs.Add(media.FindCodec("opus")!);
                answer.Media.Add(rejected);
                continue;
            }

            answer.Bundle.Add(media.Mid!);
            var section = new SdpMediaSection
            {
                Mid = media.Mid,
                IceUfrag = Local.Ufrag,
                IcePwd = Local.Password,
                Fingerprint = Certificate.Fingerprint,
                Setup = "active",
                Direction = media.Direction == SdpDirection.RecvOnly ? SdpDirection.SendOnly : SdpDirection.RecvOnly,
            };
            section.Codecs.Add(media.FindCodec("opus")!);
            section.Extmaps.Add(new SdpExtmap(SdpOfferBuilder.AudioLevelExtensionId, SdpExtmap.AudioLevelUri));
            if (withMid)
                section.Extmaps.Add(new SdpExtmap(SdpOfferBuilder.MidExtensionId, SdpExtmap.MidUri));
            answer.Media.Add(section);
        }
        return answer.ToString();
    }
}
