using System.Net;
using Together.Rtc.Dtls;
using Together.Rtc.Sdp;
using Together.Rtc.Transport;
using Xunit;

namespace Together.Rtc.Tests.Sdp;

public class SdpTests
{
    private static readonly DtlsCertificate Cert = DtlsCertificate.Generate();
    private static readonly IceCredentials Ice = new("srv1abcd", "0123456789abcdefghijklmn");

    private static SdpOfferBuilder Builder() => new(Ice, Cert.Fingerprint, new IPEndPoint(IPAddress.Loopback, 40000));

    // Shaped like Chromium's answer to our offer (trimmed of lines the parser skips anyway).
    private const string ChromiumAnswer =
        "v=0\r\n" +
        "o=- 4611731400430051336 2 IN IP4 127.0.0.1\r\n" +
        "s=-\r\n" +
        "t=0 0\r\n" +
        "a=group:BUNDLE 0 1\r\n" +
        "a=msid-semantic: WMS\r\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=rtcp:9 IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:Xo3b\r\n" +
        "a=ice-pwd:Aq0mhW4bJ5eRvGm2cX5Hk+Ud\r\n" +
        "a=ice-options:trickle\r\n" +
        "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n" +
        "a=setup:active\r\n" +
        "a=mid:0\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=extmap:4 urn:ietf:params:rtp-hdrext:sdes:mid\r\n" +
        "a=sendrecv\r\n" +
        "a=msid:- 5d9d1c6e-1b9c-4c3e-9f0e-0d5c3c1f7a11\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n" +
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n" +
        "a=ssrc:3735928559 cname:q1w2e3r4t5y6u7i8\r\n" +
        "m=audio 9 UDP/TLS/RTP/SAVPF 111\r\n" +
        "c=IN IP4 0.0.0.0\r\n" +
        "a=ice-ufrag:Xo3b\r\n" +
        "a=ice-pwd:Aq0mhW4bJ5eRvGm2cX5Hk+Ud\r\n" +
        "a=fingerprint:sha-256 7B:8B:F0:65:5F:78:E2:51:3B:AC:6F:F3:3F:46:1B:35:DC:B8:5F:64:1A:24:C2:43:F0:A1:58:D0:A1:2C:19:08\r\n" +
        "a=setup:active\r\n" +
        "a=mid:1\r\n" +
        "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level\r\n" +
        "a=recvonly\r\n" +
        "a=rtcp-mux\r\n" +
        "a=rtpmap:111 opus/48000/2\r\n" +
        "a=fmtp:111 minptime=10;useinbandfec=1\r\n";

    [Fact]
    public void Offer_has_everything_a_browser_needs()
    {
        var builder = Builder();
        builder.AddAudio(SdpDirection.RecvOnly);
        builder.AddAudio(SdpDirection.SendOnly, ssrc: 1234, cname: "alice", streamId: "alice", trackId: "alice-audio");
        var sdp = builder.BuildOffer().ToString();

        string[] expected =
        [
            "v=0",
            "a=group:BUNDLE 0 1",
            "a=ice-lite",
            "m=audio 40000 UDP/TLS/RTP/SAVPF 111",
            "c=IN IP4 127.0.0.1",
            "a=ice-ufrag:srv1abcd",
            "a=ice-pwd:0123456789abcdefghijklmn",
            "a=fingerprint:" + Cert.Fingerprint,
            "a=setup:actpass",
            "a=mid:0",
            "a=mid:1",
            "a=extmap:1 urn:ietf:params:rtp-hdrext:ssrc-audio-level",
            "a=recvonly",
            "a=sendonly",
            "a=msid:alice alice-audio",
            "a=rtcp-mux",
            "a=rtpmap:111 opus/48000/2",
            "a=fmtp:111 minptime=10;useinbandfec=1",
            "a=ssrc:1234 cname:alice",
            "a=candidate:1 1 udp 2130706431 127.0.0.1 40000 typ host",
            "a=end-of-candidates",
        ];
        var lines = sdp.Split("\r\n");
        foreach (var line in expected)
        {
            Assert.Contains(line, lines);
        }

        Assert.EndsWith("\r\n", sdp, StringComparison.Ordinal);
        Assert.DoesNotContain(lines, l => l.Contains('\n', StringComparison.Ordinal));
    }

    [Fact]
    public void An_ipv6_candidate_gets_ip6_address_lines()
    {
        // No socket here: tests bind 127.0.0.1 only. The address is only written into the SDP.
        var builder = new SdpOfferBuilder(Ice, Cert.Fingerprint, new IPEndPoint(IPAddress.Parse("2001:db8::5"), 40000));
        builder.AddAudio(SdpDirection.SendRecv);
        var lines = builder.BuildOffer().ToString().Split("\r\n");
        Assert.Contains("c=IN IP6 2001:db8::5", lines);
        Assert.Contains(lines, l => l.StartsWith("o=- ", StringComparison.Ordinal) && l.EndsWith(" IN IP6 2001:db8::5", StringComparison.Ordinal));
        Assert.Contains("a=candidate:1 1 udp 2130706431 2001:db8::5 40000 typ host", lines);
    }

    [Fact]
    public void Offer_round_trips_through_the_parser()
    {
        var builder = Builder();
        builder.AddAudio(SdpDirection.SendRecv);
        builder.AddAudio(SdpDirection.SendOnly, ssrc: 99, cname: "bob", streamId: "bob", trackId: "t");
        var offer = builder.BuildOffer();
        Assert.True(SdpParser.TryParse(offer.ToString(), out var parsed));
        Assert.True(parsed.IceLite);
        Assert.Equal(["0", "1"], parsed.Bundle);
        Assert.Equal(offer.Version, parsed.Version);
        Assert.Equal(2, parsed.Media.Count);
        Assert.Equal(Ice.Ufrag, parsed.EffectiveIceUfrag);
        Assert.Equal(Ice.Password, parsed.EffectiveIcePwd);
        Assert.Equal(Cert.Fingerprint, parsed.EffectiveFingerprint);
        var second = parsed.Media[1];
        Assert.Equal(SdpDirection.SendOnly, second.Direction);
        Assert.Equal(99u, second.Ssrc);
        Assert.Equal("bob", second.Cname);
        Assert.Equal(SdpCodec.Opus(), second.FindCodec("opus"));
        Assert.Equal(1, second.ExtmapId(SdpExtmap.AudioLevelUri));
        Assert.Equal(new IPEndPoint(IPAddress.Loopback, 40000).Port, Assert.Single(second.Candidates).Port);
    }

    [Fact]
    public void Parses_a_chromium_style_answer()
    {
        Assert.True(SdpParser.TryParse(ChromiumAnswer, out var answer));
        Assert.False(answer.IceLite);
        Assert.Equal("Xo3b", answer.EffectiveIceUfrag);
        Assert.Equal("Aq0mhW4bJ5eRvGm2cX5Hk+Ud", answer.EffectiveIcePwd);
        Assert.Equal("active", answer.EffectiveSetup);
        Assert.Equal("sha-256", answer.EffectiveFingerprint!.Algorithm);
        Assert.StartsWith("7B:8B:F0", answer.EffectiveFingerprint.Value, StringComparison.Ordinal);
        Assert.Equal(2, answer.Media.Count);
        var first = answer.Media[0];
        Assert.Equal("0", first.Mid);
        Assert.Equal(SdpDirection.SendRecv, first.Direction);
        Assert.True(first.RtcpMux);
        Assert.Equal(3735928559u, first.Ssrc);
        Assert.Equal("q1w2e3r4t5y6u7i8", first.Cname);
        Assert.Equal("minptime=10;useinbandfec=1", first.FindCodec("OPUS")!.Parameters);
        Assert.Equal(1, first.ExtmapId(SdpExtmap.AudioLevelUri));
        Assert.Equal(4, first.ExtmapId(SdpExtmap.MidUri));
        Assert.Equal(SdpDirection.RecvOnly, answer.Media[1].Direction);
        Assert.Null(answer.Media[1].Ssrc);
    }

    [Fact]
    public void Renegotiation_retires_and_recycles_m_lines()
    {
        var builder = Builder();
        string mine = builder.AddAudio(SdpDirection.RecvOnly);
        string alice = builder.AddAudio(SdpDirection.SendOnly, ssrc: 1, cname: "a", streamId: "alice", trackId: "a1");
        string bob = builder.AddAudio(SdpDirection.SendOnly, ssrc: 2, cname: "b", streamId: "bob", trackId: "b1");
        var first = builder.BuildOffer();
        Assert.Equal([mine, alice, bob], first.Bundle);

        // Alice leaves: her m-line is retired, port 0 and out of BUNDLE, but keeps its index.
        builder.Retire(alice);
        var second = builder.BuildOffer();
        Assert.Equal(first.Version + 1, second.Version);
        Assert.Equal(3, second.Media.Count);
        Assert.True(second.Media[1].IsRejected);
        Assert.Equal([mine, bob], second.Bundle);
        Assert.True(SdpParser.TryParse(second.ToString(), out var parsed));
        Assert.Equal(0, parsed.Media[1].Port);
        Assert.Equal(SdpDirection.Inactive, parsed.Media[1].Direction);
        Assert.Equal(["0", "2"], parsed.Bundle);

        // Bob mutes: inactive, still bundled.
        builder.SetDirection(bob, SdpDirection.Inactive);
        var muted = Snapshot(builder.BuildOffer());
        Assert.Equal(SdpDirection.Inactive, muted.Media[2].Direction);

        // The browser answers the offer that retired Alice (its m-lines are those of the newest
        // offer too, which the answer is taken for); then Carol joins: Alice's slot is reused
        // with a new mid; no m-line is added.
        Assert.Equal(muted.Version, builder.ApplyAnswer(AnswerTo(muted)));
        string carol = builder.AddAudio(SdpDirection.SendOnly, ssrc: 3, cname: "c", streamId: "carol", trackId: "c1");
        var third = builder.BuildOffer();
        Assert.Equal(3, third.Media.Count);
        Assert.Equal(carol, third.Media[1].Mid);
        Assert.NotEqual(alice, carol);
        Assert.Equal(40000, third.Media[1].Port);
        Assert.Equal([mine, carol, bob], third.Bundle);
        Assert.Throws<ArgumentException>(() => builder.Retire(alice));
    }

    [Fact]
    public void A_retired_m_line_is_not_recycled_before_the_offer_that_retired_it_is_answered()
    {
        var builder = Builder();
        string mine = builder.AddAudio(SdpDirection.RecvOnly);
        string alice = builder.AddAudio(SdpDirection.SendOnly, ssrc: 1, cname: "a", streamId: "alice", trackId: "a1");
        var first = Snapshot(builder.BuildOffer());
        Assert.Equal(first.Version, builder.ApplyAnswer(AnswerTo(first)));

        // Alice leaves and Bob joins before the browser answered: Bob gets a new m-line; Alice's
        // stays rejected (in the browser it may still be active with her mid).
        builder.Retire(alice);
        string bob = builder.AddAudio(SdpDirection.SendOnly, ssrc: 2, cname: "b", streamId: "bob", trackId: "b1");
        var second = Snapshot(builder.BuildOffer());
        Assert.Equal([mine, alice, bob], second.Media.Select(m => m.Mid));
        Assert.True(second.Media[1].IsRejected);

        // Bob leaves, Carol joins; the browser has still only answered the first offer (a repeated
        // answer to it matches no pending offer and changes nothing), so Carol is appended too.
        Assert.Null(builder.ApplyAnswer(AnswerTo(first)));
        builder.Retire(bob);
        string carol = builder.AddAudio(SdpDirection.SendOnly, ssrc: 3, cname: "c", streamId: "carol", trackId: "c1");
        var third = Snapshot(builder.BuildOffer());
        Assert.Equal([mine, alice, bob, carol], third.Media.Select(m => m.Mid));

        // The answer to the second offer makes Alice's slot (retired in it) recyclable, but not
        // Bob's (retired in the third, still unanswered).
        Assert.Equal(second.Version, builder.ApplyAnswer(AnswerTo(second)));
        Assert.Equal(second.Version, builder.AnsweredVersion);
        string dave = builder.AddAudio(SdpDirection.SendOnly, ssrc: 4, cname: "d", streamId: "dave", trackId: "d1");
        string erin = builder.AddAudio(SdpDirection.SendOnly, ssrc: 5, cname: "e", streamId: "erin", trackId: "e1");
        var fourth = Snapshot(builder.BuildOffer());
        Assert.Equal([mine, dave, bob, carol, erin], fourth.Media.Select(m => m.Mid));
        Assert.True(fourth.Media[2].IsRejected);

        // An answer that fits no offer (another m-line count, or our rejected m-line accepted)
        // marks nothing.
        var wrong = AnswerTo(fourth);
        wrong.Media[2].Port = 9;
        Assert.Null(builder.ApplyAnswer(wrong));
        wrong.Media.RemoveAt(2);
        Assert.Null(builder.ApplyAnswer(wrong));
        Assert.Equal(second.Version, builder.AnsweredVersion);
        Assert.Equal(fourth.Version, builder.ApplyAnswer(AnswerTo(fourth)));
        Assert.Throws<ArgumentOutOfRangeException>(() => builder.Answered(fourth.Version + 1));
    }

    /// <summary>The offer as sent (BuildOffer's sections are the builder's own, changed by later calls).</summary>
    private static SdpSessionDescription Snapshot(SdpSessionDescription offer)
    {
        Assert.True(SdpParser.TryParse(offer.ToString(), out var parsed));
        return parsed;
    }

    /// <summary>An answer as a browser writes it: our rejected m-lines rejected, the rest accepted (port 9, bundled).</summary>
    private static SdpSessionDescription AnswerTo(SdpSessionDescription offer)
    {
        Assert.True(SdpParser.TryParse(offer.ToString(), out var parsed));
        var answer = new SdpSessionDescription { SessionId = 99, Version = 2 };
        foreach (var media in parsed.Media)
        {
            answer.Media.Add(new SdpMediaSection { Mid = media.Mid, Port = media.IsRejected ? 0 : 9, Setup = "active" });
            if (!media.IsRejected)
            {
                answer.Bundle.Add(media.Mid!);
            }
        }

        Assert.True(SdpParser.TryParse(answer.ToString(), out var reparsed));
        return reparsed;
    }

    [Theory]
    [InlineData("")]
    [InlineData("hello")]
    [InlineData("v=1\r\n")]
    [InlineData("o=- 1 1 IN IP4 x\r\n")]
    [InlineData("v=0\r\nm=audio notaport UDP/TLS/RTP/SAVPF 111\r\n")]
    [InlineData("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=rtpmap:x opus/48000\r\n")]
    [InlineData("v=0\r\na=fingerprint:sha-256 00:11\r\n")]
    [InlineData("v=0\r\nm=audio 9 UDP/TLS/RTP/SAVPF 111\r\na=extmap:one urn:x\r\n")]
    public void Malformed_sdp_is_rejected(string text)
    {
        Assert.False(SdpParser.TryParse(text, out _));
    }

    [Fact]
    public void Truncated_answers_never_throw()
    {
        for (int length = 0; length < ChromiumAnswer.Length; length += 7)
        {
            _ = SdpParser.TryParse(ChromiumAnswer[..length], out _);
        }

        Assert.True(SdpParser.TryParse(ChromiumAnswer, out _));
    }
}
