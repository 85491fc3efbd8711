using System.Globalization;
using Together.Rtc.Dtls;

namespace Together.Rtc.Sdp;

/// <summary>Parses the SDP a browser answers with. Lines it does not need are skipped.</summary>
public static class SdpParser
{
    public static bool TryParse(string text, [System.Diagnostics.CodeAnalysis.NotNullWhen(true)] out SdpSessionDescription? description)
    {
        description = null;
        if (string.IsNullOrEmpty(text))
        {
            return false;
        }

        var sdp = new SdpSessionDescription();
        SdpMediaSection? media = null;
        var fmtp = new Dictionary<(SdpMediaSection, int), string>();
        bool sawVersion = false;
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.TrimEnd('\r');
            if (line.Length == 0)
            {
                continue;
            }

            if (line.Length < 2 || line[1] != '=')
            {
                return false;
            }

            char type = line[0];
            string value = line[2..];
            switch (type)
            {
                case 'v':
                    if (value != "0")
                    {
                        return false;
                    }

                    sawVersion = true;
                    break;
                case 'o':
                    {
                        var p = value.Split(' ');
                        if (p.Length < 6
                            || !ulong.TryParse(p[1], NumberStyles.None, CultureInfo.InvariantCulture, out ulong id)
                            || !ulong.TryParse(p[2], NumberStyles.None, CultureInfo.InvariantCulture, out ulong version))
                        {
                            return false;
                        }

                        sdp.SessionId = id;
                        sdp.Version = version;
                        sdp.Origin = p[5];
                        break;
                    }

                case 'm':
                    {
                        var p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                        if (p.Length < 3 || !int.TryParse(p[1].Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int port) || port > 65535)
                        {
                            return false;
                        }

                        media = new SdpMediaSection { Kind = p[0], Port = port, Protocol = p[2], RtcpMux = false };
                        sdp.Media.Add(media);
                        break;
                    }

                case 'c':
                    if (media is not null)
                    {
                        var p = value.Split(' ');
                        media.ConnectionAddress = p.Length >= 3 ? p[2] : null;
                    }

                    break;
                case 'a':
                    if (!ParseAttribute(sdp, media, value, fmtp))
                    {
                        return false;
                    }

                    break;
                default:
                    break; // s=, t=, b=, i=, … carry nothing we use
            }
        }

        if (!sawVersion)
        {
            return false;
        }

        foreach (var ((section, pt), parameters) in fmtp)
        {
            int index = section.Codecs.FindIndex(c => c.PayloadType == pt);
            if (index >= 0)
            {
                section.Codecs[index] = section.Codecs[index] with { Parameters = parameters };
            }
        }

        description = sdp;
        return true;
    }

    private static bool ParseAttribute(SdpSessionDescription sdp, SdpMediaSection? m, string attribute, Dictionary<(SdpMediaSection, int), string> fmtp)
    {
        int colon = attribute.IndexOf(':', StringComparison.Ordinal);
        string name = colon < 0 ? attribute : attribute[..colon];
        string value = colon < 0 ? "" : attribute[(colon + 1)..];
        switch (name)
        {
            case "group":
                if (value.StartsWith("BUNDLE", StringComparison.Ordinal))
                {
                    sdp.Bundle.AddRange(value["BUNDLE".Length..].Split(' ', StringSplitOptions.RemoveEmptyEntries));
                }

                return true;
            case "ice-lite":
                sdp.IceLite = true;
                return true;
            case "ice-ufrag":
                if (m is null) { sdp.IceUfrag = value; } else { m.IceUfrag = value; }
                return true;
            case "ice-pwd":
                if (m is null) { sdp.IcePwd = value; } else { m.IcePwd = value; }
                return true;
            case "fingerprint":
                {
                    if (!DtlsFingerprint.TryParse(value, out var fingerprint))
                    {
                        return false;
                    }

                    if (m is null) { sdp.Fingerprint = fingerprint; } else { m.Fingerprint = fingerprint; }
                    return true;
                }

            case "setup":
                if (m is null) { sdp.Setup = value; } else { m.Setup = value; }
                return true;
            default:
                break;
        }

        if (m is null)
        {
            return true;
        }

        switch (name)
        {
            case "mid":
                m.Mid = value;
                break;
            case "sendrecv":
                m.Direction = SdpDirection.SendRecv;
                break;
            case "sendonly":
                m.Direction = SdpDirection.SendOnly;
                break;
            case "recvonly":
                m.Direction = SdpDirection.RecvOnly;
                break;
            case "inactive":
                m.Direction = SdpDirection.Inactive;
                break;
            case "rtcp-mux":
                m.RtcpMux = true;
                break;
            case "end-of-candidates":
                m.EndOfCandidates = true;
                break;
            case "msid":
                {
                    var p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    m.MsidStream = p.Length > 0 ? p[0] : null;
                    m.MsidTrack = p.Length > 1 ? p[1] : null;
                    break;
                }

            case "rtpmap":
                {
                    // a=rtpmap:<pt> <name>/<clock>[/<channels>]
                    var p = value.Split(' ', 2);
                    if (p.Length != 2 || !int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pt))
                    {
                        return false;
                    }

                    var enc = p[1].Split('/');
                    if (enc.Length < 2 || !int.TryParse(enc[1], NumberStyles.None, CultureInfo.InvariantCulture, out int clock))
                    {
                        return false;
                    }

                    int channels = 1;
                    if (enc.Length > 2 && !int.TryParse(enc[2], NumberStyles.None, CultureInfo.InvariantCulture, out channels))
                    {
                        return false;
                    }

                    m.Codecs.Add(new SdpCodec(pt, enc[0], clock, channels, null));
                    break;
                }

            case "fmtp":
                {
                    var p = value.Split(' ', 2);
                    if (p.Length == 2 && int.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out int pt))
                    {
                        fmtp[(m, pt)] = p[1];
                    }

                    break;
                }

            case "extmap":
                {
                    // a=extmap:<id>[/<direction>] <uri> [<attributes>]
                    var p = value.Split(' ', StringSplitOptions.RemoveEmptyEntries);
                    if (p.Length < 2 || !int.TryParse(p[0].Split('/')[0], NumberStyles.None, CultureInfo.InvariantCulture, out int id))
                    {
                        return false;
                    }

                    m.Extmaps.Add(new SdpExtmap(id, p[1]));
                    break;
                }

            case "ssrc":
                {
                    // a=ssrc:<ssrc> cname:<cname> (the first SSRC of the section is the one we need)
                    var p = value.Split(' ', 2);
                    if (!uint.TryParse(p[0], NumberStyles.None, CultureInfo.InvariantCulture, out uint ssrc))
                    {
                        return false;
                    }

                    m.Ssrc ??= ssrc;
                    if (m.Ssrc == ssrc && p.Length == 2 && p[1].StartsWith("cname:", StringComparison.Ordinal))
                    {
                        m.Cname = p[1]["cname:".Length..];
                    }

                    break;
                }

            case "candidate":
                if (SdpCandidate.TryParse(value, out var candidate))
                {
                    m.Candidates.Add(candidate!);
                }

                break;
            default:
                break;
        }

        return true;
    }
}
