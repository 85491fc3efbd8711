using System.Globalization;
using System.Text;
using Together.Rtc.Dtls;

namespace Together.Rtc.Sdp;

public enum SdpDirection
{
    SendRecv,
    SendOnly,
    RecvOnly,
    Inactive,
}

/// <summary>A codec line pair: <c>a=rtpmap</c> and optional <c>a=fmtp</c>.</summary>
public sealed record SdpCodec(int PayloadType, string Name, int ClockRate, int Channels, string? Parameters)
{
    /// <summary>Opus as we offer it: RFC 7587, FEC on, 10 ms minimum packet time.</summary>
    public static SdpCodec Opus(int payloadType = 111) => new(payloadType, "opus", 48000, 2, "minptime=10;useinbandfec=1");
}

public sealed record SdpExtmap(int Id, string Uri)
{
    public const string AudioLevelUri = "urn:ietf:params:rtp-hdrext:ssrc-audio-level";
    public const string MidUri = "urn:ietf:params:rtp-hdrext:sdes:mid";
}

/// <summary>An ICE candidate line (RFC 8839 §5.1); we only produce host UDP candidates.</summary>
public sealed record SdpCandidate(string Foundation, int Component, string Transport, uint Priority, string Address, int Port, string Type)
{
    public override string ToString() => string.Create(
        CultureInfo.InvariantCulture, $"candidate:{Foundation} {Component} {Transport} {Priority} {Address} {Port} typ {Type}");

    public static bool TryParse(string value, out SdpCandidate? candidate)
    {
        candidate = null;
        var text = value.StartsWith("candidate:", StringComparison.Ordinal) ? value["candidate:".Length..] : value;
        var p = text.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        if (p.Length < 8 || p[6] != "typ"
            || !int.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out int component)
            || !uint.TryParse(p[3], NumberStyles.None, CultureInfo.InvariantCulture, out uint priority)
            || !int.TryParse(p[5], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
        {
            return false;
        }

        candidate = new SdpCandidate(p[0], component, p[2], priority, p[4], port, p[7]);
        return true;
    }
}

/// <summary>One m= section. With BUNDLE every section shares the ICE/DTLS transport.</summary>
public sealed class SdpMediaSection
{
    public string Kind { get; set; } = "audio";

    /// <summary>0 marks a rejected or retired section (RFC 8843 §7.3, JSEP §5.2.2).</summary>
    public int Port { get; set; } = 9;

    public string Protocol { get; set; } = "UDP/TLS/RTP/SAVPF";

    public string? Mid { get; set; }

    public SdpDirection Direction { get; set; } = SdpDirection.SendRecv;

    public bool RtcpMux { get; set; } = true;

    public List<SdpCodec> Codecs { get; } = [];

    public List<SdpExtmap> Extmaps { get; } = [];

    public string? MsidStream { get; set; }

    public string? MsidTrack { get; set; }

    public uint? Ssrc { get; set; }

    public string? Cname { get; set; }

    public string? IceUfrag { get; set; }

    public string? IcePwd { get; set; }

    public DtlsFingerprint? Fingerprint { get; set; }

    public string? Setup { get; set; }

    public List<SdpCandidate> Candidates { get; } = [];

    public bool EndOfCandidates { get; set; }

    public string? ConnectionAddress { get; set; }

    public bool IsRejected => Port == 0;

    public int? ExtmapId(string uri) => Extmaps.Find(e => e.Uri == uri)?.Id;

    public SdpCodec? FindCodec(string name) => Codecs.Find(c => string.Equals(c.Name, name, StringComparison.OrdinalIgnoreCase));
}

/// <summary>A session description (RFC 8866) with the WebRTC attributes JSEP (RFC 9429) uses.</summary>
public sealed class SdpSessionDescription
{
    public ulong SessionId { get; set; }

    public ulong Version { get; set; }

    public string Origin { get; set; } = "127.0.0.1";

    public bool IceLite { get; set; }

    public string? IceUfrag { get; set; }

    public string? IcePwd { get; set; }

    public DtlsFingerprint? Fingerprint { get; set; }

    public string? Setup { get; set; }

    public List<string> Bundle { get; } = [];

    public List<SdpMediaSection> Media { get; } = [];

    /// <summary>ICE ufrag of the first section that has one, else the session-level one.</summary>
    public string? EffectiveIceUfrag => Media.Select(m => m.IceUfrag).FirstOrDefault(u => u is not null) ?? IceUfrag;

    public string? EffectiveIcePwd => Media.Select(m => m.IcePwd).FirstOrDefault(u => u is not null) ?? IcePwd;

    public DtlsFingerprint? EffectiveFingerprint => Media.Select(m => m.Fingerprint).FirstOrDefault(f => f is not null) ?? Fingerprint;

    public string? EffectiveSetup => Media.Select(m => m.Setup).FirstOrDefault(s => s is not null) ?? Setup;

    public override string ToString()
    {
        var sb = new StringBuilder();
        void Line(string text) => sb.Append(text).Append("\r\n");
        Line("v=0");
        Line(string.Create(CultureInfo.InvariantCulture, $"o=- {SessionId} {Version} {Address(Origin)}"));
        Line("s=-");
        Line("t=0 0");
        if (Bundle.Count > 0)
        {
            Line("a=group:BUNDLE " + string.Join(' ', Bundle));
        }

        if (IceLite)
        {
            Line("a=ice-lite");
        }

        Line("a=msid-semantic: WMS *");
        if (IceUfrag is not null)
        {
            Line("a=ice-ufrag:" + IceUfrag);
        }

        if (IcePwd is not null)
        {
            Line("a=ice-pwd:" + IcePwd);
        }

        if (Fingerprint is not null)
        {
            Line("a=fingerprint:" + Fingerprint);
        }

        if (Setup is not null)
        {
            Line("a=setup:" + Setup);
        }

        foreach (var m in Media)
        {
            var payloadTypes = m.Codecs.Count > 0
                ? string.Join(' ', m.Codecs.Select(c => c.PayloadType.ToString(CultureInfo.InvariantCulture)))
                : "0";
            Line(string.Create(CultureInfo.InvariantCulture, $"m={m.Kind} {m.Port} {m.Protocol} {payloadTypes}"));
            Line("c=" + Address(m.ConnectionAddress ?? "0.0.0.0"));
            if (m.IceUfrag is not null)
            {
                Line("a=ice-ufrag:" + m.IceUfrag);
            }

            if (m.IcePwd is not null)
            {
                Line("a=ice-pwd:" + m.IcePwd);
            }

            if (m.Fingerprint is not null)
            {
                Line("a=fingerprint:" + m.Fingerprint);
            }

            if (m.Setup is not null)
            {
                Line("a=setup:" + m.Setup);
            }

            if (m.Mid is not null)
            {
                Line("a=mid:" + m.Mid);
            }

            foreach (var e in m.Extmaps)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"a=extmap:{e.Id} {e.Uri}"));
            }

            Line("a=" + DirectionText(m.Direction));
            if (m.MsidStream is not null)
            {
                Line($"a=msid:{m.MsidStream} {m.MsidTrack ?? "-"}");
            }

            if (m.RtcpMux)
            {
                Line("a=rtcp-mux");
            }

            foreach (var c in m.Codecs)
            {
                Line(c.Channels > 1
                    ? string.Create(CultureInfo.InvariantCulture, $"a=rtpmap:{c.PayloadType} {c.Name}/{c.ClockRate}/{c.Channels}")
                    : string.Create(CultureInfo.InvariantCulture, $"a=rtpmap:{c.PayloadType} {c.Name}/{c.ClockRate}"));
                if (c.Parameters is not null)
                {
                    Line(string.Create(CultureInfo.InvariantCulture, $"a=fmtp:{c.PayloadType} {c.Parameters}"));
                }
            }

            if (m.Ssrc is uint ssrc && m.Cname is not null)
            {
                Line(string.Create(CultureInfo.InvariantCulture, $"a=ssrc:{ssrc} cname:{m.Cname}"));
                if (m.MsidStream is not null)
                {
                    Line(string.Create(CultureInfo.InvariantCulture, $"a=ssrc:{ssrc} msid:{m.MsidStream} {m.MsidTrack ?? "-"}"));
                }
            }

            foreach (var candidate in m.Candidates)
            {
                Line("a=" + candidate);
            }

            if (m.EndOfCandidates)
            {
                Line("a=end-of-candidates");
            }
        }

        return sb.ToString();
    }

    /// <summary>nettype, addrtype and address of o= and c= (RFC 8866 §5.2, §5.7).</summary>
    private static string Address(string address) =>
        (address.Contains(':', StringComparison.Ordinal) ? "IN IP6 " : "IN IP4 ") + address;

    internal static string DirectionText(SdpDirection direction) => direction switch
    {
        SdpDirection.SendOnly => "sendonly",
        SdpDirection.RecvOnly => "recvonly",
        SdpDirection.Inactive => "inactive",
        _ => "sendrecv",
    };
}
