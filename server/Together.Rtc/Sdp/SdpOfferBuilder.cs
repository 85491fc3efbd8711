using System.Globalization;
using System.Net;
using System.Security.Cryptography;
using Together.Rtc.Dtls;
using Together.Rtc.Transport;

namespace Together.Rtc.Sdp;

/// <summary>
/// Builds the offers the SFU sends one browser, across renegotiations (JSEP RFC 9429 §5.2):
/// the server offers, so it chooses payload types and extmap ids. Each remote participant gets
/// one audio m-line. A retired m-line keeps its place with port 0 and leaves the BUNDLE group.
/// JSEP §5.2.2 lets a later offer recycle it (with a fresh mid) only once the offer that
/// rejected it has been answered: until then the browser may still see that m-line as active,
/// and changing its mid would fail its setRemoteDescription. So the builder remembers which
/// offer carried each retirement, and <see cref="ApplyAnswer"/> / <see cref="Answered"/> tell it
/// which offer the browser answered; only slots retired in an answered offer are recycled, the
/// others stay rejected and a new m-line is appended instead.
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
    private readonly Dictionary<string, ulong> _retiredIn = new(StringComparer.Ordinal); // mid → first offer that rejected it
    private readonly List<string> _retiredUnsent = [];
    private readonly List<(ulong Version, string?[] Mids)> _unanswered = []; // mid per m-line, null where rejected
    private ulong _version;
    private int _nextMid;

    public SdpOfferBuilder(IceCredentials ice, DtlsFingerprint fingerprint, IPEndPoint candidate)
    {
        _ice = ice;
        _fingerprint = fingerprint;
        _candidate = candidate;
    }

    public IReadOnlyList<SdpMediaSection> Sections => _sections;

    /// <summary>The o= version of the newest offer known to be answered (0: none yet).</summary>
    public ulong AnsweredVersion { get; private set; }

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

        int recycled = _sections.FindIndex(IsRecyclable);
        if (recycled >= 0)
        {
            _retiredIn.Remove(_sections[recycled].Mid!);
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

    /// <summary>
    /// Retires an m-line: port 0, out of BUNDLE. Its slot is reused by an AddAudio after the
    /// next offer (the one that carries the retirement) has been answered.
    /// </summary>
    public void Retire(string mid)
    {
        var section = Find(mid);
        _retiredUnsent.Add(mid);
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

        foreach (var mid in _retiredUnsent)
        {
            _retiredIn[mid] = _version;
        }

        _retiredUnsent.Clear();
        _unanswered.Add((_version, [.. _sections.Select(s => s.IsRejected ? null : s.Mid)]));
        return offer;
    }

    /// <summary>
    /// The browser answered offer <paramref name="version"/> (and so superseded every earlier
    /// one): m-lines retired in it or before become recyclable.
    /// </summary>
    public void Answered(ulong version)
    {
        if (version > _version)
        {
            throw new ArgumentOutOfRangeException(nameof(version), version, "No offer with this version was built.");
        }

        if (version > AnsweredVersion)
        {
            AnsweredVersion = version;
            _unanswered.RemoveAll(o => o.Version <= version);
        }
    }

    /// <summary>
    /// Finds which of the offers still waiting for an answer <paramref name="answer"/> answers
    /// (an answer's o= line is the browser's own, so it is matched by its m-lines: same count,
    /// every m-line we rejected rejected, every accepted one with our mid, JSEP §5.3.1), marks it
    /// answered and returns its version; null when it matches none (then nothing is recycled).
    /// </summary>
    public ulong? ApplyAnswer(SdpSessionDescription answer)
    {
        ArgumentNullException.ThrowIfNull(answer);
        for (int i = _unanswered.Count - 1; i >= 0; i--)
        {
            var (version, mids) = _unanswered[i];
            if (Matches(answer, mids))
            {
                Answered(version);
                return version;
            }
        }

        return null;
    }

    private static bool Matches(SdpSessionDescription answer, string?[] mids)
    {
        if (answer.Media.Count != mids.Length)
        {
            return false;
        }

        for (int i = 0; i < mids.Length; i++)
        {
            var media = answer.Media[i];
            if (mids[i] is null ? !media.IsRejected : !media.IsRejected && !string.Equals(media.Mid, mids[i], StringComparison.Ordinal))
            {
                return false;
            }
        }

        return true;
    }

    private bool IsRecyclable(SdpMediaSection section) =>
        section.IsRejected && _retiredIn.TryGetValue(section.Mid!, out var version) && version <= AnsweredVersion;

    private SdpMediaSection Find(string mid) =>
        _sections.Find(s => s.Mid == mid && !s.IsRejected) ?? throw new ArgumentException($"No active m-line with mid {mid}.", nameof(mid));
}
