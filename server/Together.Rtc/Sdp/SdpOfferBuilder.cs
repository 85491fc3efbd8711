using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Together.Rtc.Dtls;
using Together.Rtc.Transport;

namespace Together.Rtc.Sdp;

/// <summary>
/// Builds the offers the SFU sends one browser, across renegotiations (JSEP RFC 9429 §5.2):
/// the server offers, so it chooses payload types and extmap ids. Each remote participant gets
/// one audio m-line. A retired m-line keeps its place with port 0 and leaves the BUNDLE group;
/// a later AddAudio recycles it with a fresh mid, as JSEP §5.2.2 allows.
/// </summary>
public sealed class SdpOfferBuilder
{
    public const int OpusPayloadType = 111;
    public const int AudioLevelExtensionId = 1;
    public const int MidExtensionId = 4;

    private readonly IceCredentials _ice;
    private readonly DtlsFingerprint _fingerprint;
    private readonly IPEndPoint _candidate;
    private readonly ulong _sessionId = BitConverter.ToUInt64(RandomNumberGenerator.GetBytes(8)) >> 2;
    private readonly List<SdpMediaSection> _sections = [];
    private ulong _version;
    private int _nextMid;

    public SdpOfferBuilder(IceCredentials ice, DtlsFingerprint fingerprint, IPEndPoint candidate)
    {
        _ice = ice;
        _fingerprint = fingerprint;
        _candidate = candidate;
    }

    public IReadOnlyList<SdpMediaSection> Sections => _sections;

    /// <summary>
    /// Adds an audio m-line (or recycles a retired one) and returns its mid. For a stream we
    /// send, give its SSRC, CNAME and msid so the browser can tell the streams apart.
    /// </summary>
    public string AddAudio(SdpDirection direction, uint? ssrc = null, string? cname = null, string? streamId = null, string? trackId = null)
    {
        string mid = (_nextMid++).ToString(CultureInfo.InvariantCulture);
        var section = new SdpMediaSection
        {
            Mid = mid,
            Port = _candidate.Port,
            ConnectionAddress = _candidate.Address.ToString(),
            Direction = direction,
            Ssrc = ssrc,
            Cname = cname,
            MsidStream = streamId,
            MsidTrack = trackId,
            IceUfrag = _ice.Ufrag,
            IcePwd = _ice.Password,
            Fingerprint = _fingerprint,
            Setup = "actpass", // JSEP §5.2.1: offers use actpass; browsers answer active, so we are the DTLS server
            EndOfCandidates = true,
        };
        section.Codecs.Add(SdpCodec.Opus(OpusPayloadType));
        section.Extmaps.Add(new SdpExtmap(AudioLevelExtensionId, SdpExtmap.AudioLevelUri));
        section.Extmaps.Add(new SdpExtmap(MidExtensionId, SdpExtmap.MidUri));
        section.Candidates.Add(new SdpCandidate("1", 1, "udp", 2130706431, _candidate.Address.ToString(), _candidate.Port, "host"));

        int recycled = _sections.FindIndex(s => s.IsRejected);
        if (recycled >= 0)
        {
            _sections[recycled] = section;
        }
        else
        {
            _sections.Add(section);
        }

        return mid;
    }

    /// <summary>Stops sending on an m-line but keeps it ready to come back (a=inactive).</summary>
    public void SetDirection(string mid, SdpDirection direction) => Find(mid).Direction = direction;

    /// <summary>Retires an m-line: port 0, out of BUNDLE; its slot is reused by the next AddAudio.</summary>
    public void Retire(string mid)
    {
        var section = Find(mid);
        section.Port = 0;
        section.Direction = SdpDirection.Inactive;
        section.Candidates.Clear();
        section.Ssrc = null;
        section.MsidStream = null;
        section.MsidTrack = null;
    }

    /// <summary>The next offer; each call increments the o= version (RFC 8866 §5.2).</summary>
    public SdpSessionDescription BuildOffer()
    {
        var offer = new SdpSessionDescription
        {
            SessionId = _sessionId,
            Version = ++_version,
            Origin = _candidate.Address.ToString(),
            IceLite = true,
        };
        foreach (var s in _sections)
        {
            offer.Media.Add(s);
            if (!s.IsRejected)
            {
                offer.Bundle.Add(s.Mid!);
            }
        }

        return offer;
    }

    private SdpMediaSection Find(string mid) =>
        _sections.Find(s => s.Mid == mid && !s.IsRejected) ?? throw new ArgumentException($"No active m-line with mid {mid}.", nameof(mid));
}
