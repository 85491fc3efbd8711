using System.Collections.Concurrent;
using System.Net;
using Together.Data;
using Together.Rtc.Client;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;

namespace Together.Server.Tests;

/// <summary>
/// Synthetic participants (the voice library's client peer: real ICE, DTLS-SRTP and Opus over
/// UDP on 127.0.0.1) in one voice room of the real server, signalled over the real gateway.
/// </summary>
public sealed class VoiceRoomTests : CommunityTest
{
    public VoiceRoomTests() : base(DatabaseProvider.Sqlite)
    {
    }

    private static readonly DtlsHandshakeLimiter Limiter = new(8);

    private sealed class Participant(string name, string userId, GatewayClient gateway) : IAsyncDisposable
    {
        public string Name { get; } = name;
        public string UserId { get; } = userId;
        public GatewayClient Gateway { get; } = gateway;
        public RtcClientPeer Peer { get; } = new(new IPEndPoint(IPAddress.Loopback, 0));
        public OpusRtpSender Sender { get; } = new((uint)Random.Shared.Next(1, int.MaxValue));
        public ConcurrentDictionary<uint, int> ReceivedBySsrc { get; } = new();

        /// <summary>SSRC → user id, from the latest offer's a=ssrc cname "u{userId}".</summary>
        public ConcurrentDictionary<uint, string> Speakers { get; } = new();

        public int ReceivedFrom(Participant other) =>
            ReceivedBySsrc.Where(kv => Speakers.TryGetValue(kv.Key, out var user) && user == other.UserId).Sum(kv => kv.Value);

        public async ValueTask DisposeAsync()
        {
            Peer.Dispose();
            await Gateway.DisposeAsync();
        }
    }

    private async Task<Participant> JoinAsync(string name, Account account, string guildId, string channelId, bool mute = false)
    {
        var gateway = await GatewayClient.IdentifyAsync(Server, account.Token);
        var participant = new Participant(name, account.UserId, gateway);
        // Each join in the room re-offers: keep the SSRC → speaker map current without taking
        // frames from the test's own queue.
        gateway.Received += frame =>
        {
            if (frame.T == "VOICE_OFFER")
                ParseOffer(participant, frame.D);
        };
        participant.Peer.RtpReceived += packet =>
        {
            if (RtpPacket.TryParse(packet, out var rtp))
                participant.ReceivedBySsrc.AddOrUpdate(rtp.Ssrc, 1, (_, n) => n + 1);
        };
        await gateway.SendAsync(new { op = 4, d = new { guild_id = guildId, channel_id = channelId, self_mute = mute, self_deaf = false } });
        var offer = ParseOffer(participant, (await gateway.DispatchAsync("VOICE_OFFER", timeout: TimeSpan.FromSeconds(20))).D);
        await gateway.SendAsync(new { op = 40, d = new { guild_id = guildId, sdp = participant.Peer.Answer(offer) } });
        var candidate = offer.Media[0].Candidates[0];
        await participant.Peer.ConnectAsync(new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port),
            offer.EffectiveIceUfrag!, offer.EffectiveIcePwd!, offer.EffectiveFingerprint!, Limiter, cancellationToken: Cancel);
        return participant;
    }

    private static SdpSessionDescription ParseOffer(Participant participant, JsonElement payload)
    {
        Assert.True(SdpParser.TryParse(payload.GetProperty("sdp").GetString()!, out var offer));
        foreach (var media in offer.Media.Where(m => m.Ssrc is not null && m.Cname is not null))
            participant.Speakers[media.Ssrc!.Value] = media.Cname![1..];
        return offer;
    }

    private static async Task TalkAsync(IEnumerable<Participant> speakers, int frames, short amplitude = 8000)
    {
        var pcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels];
        var buffer = new byte[1500];
        for (var frame = 0; frame < frames; frame++)
        {
            for (var i = 0; i < pcm.Length; i += 2)
                pcm[i] = pcm[i + 1] = (short)(amplitude * Math.Sin(2 * Math.PI * 440 * (frame * OpusRtpSender.FrameSamples + i / 2) / 48000.0));
            foreach (var speaker in speakers)
                speaker.Peer.SendRtp(buffer.AsSpan(0, speaker.Sender.Write(pcm, buffer)));
            await Task.Delay(5, Cancel);
        }
    }

    /// <summary>Waits until a count has stopped changing for 300 ms (at most 10 s).</summary>
    private static async Task SettledAsync(Func<long> count)
    {
        var last = count();
        for (int i = 0, still = 0; i < 200 && still < 6; i++)
        {
            await Task.Delay(50, Cancel);
            var now = count();
            still = now == last ? still + 1 : 0;
            last = now;
        }
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        for (var i = 0; i < 100 && !condition(); i++)
            await Task.Delay(50, Cancel);
        Assert.True(condition(), what);
    }

    [Fact]
    public async Task Everyone_hears_everyone_else_muted_ones_are_heard_by_nobody_and_deafened_ones_hear_nothing_and_are_muted()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString()!;
        var dave = await RegisterAsync("dave");
        await JoinAsync(dave.Client(Server));

        // A room of ten: alice, bob, carol, six more, and dave who stays muted. (Answers for rooms
        // this size pass Discord's 4 KB frame limit: op 40 may carry up to 64 KB.)
        await using var alice = await JoinAsync("alice", Alice, GuildId, voice);
        await using var bob = await JoinAsync("bob", Bob, GuildId, voice);
        await using var carol = await JoinAsync("carol", Carol, GuildId, voice);
        var crowd = new List<Participant>();
        for (var i = 0; i < 6; i++)
        {
            var account = await RegisterAsync($"player{i}");
            await JoinAsync(account.Client(Server));
            try
            {
                crowd.Add(await JoinAsync($"player{i}", account, GuildId, voice));
            }
            catch (Exception ex)
            {
                throw new InvalidOperationException($"player{i} (participant {4 + i}) could not connect", ex);
            }
        }
        await using var muted = await JoinAsync("dave", dave, GuildId, voice, mute: true);
        Participant[] speakers = [alice, bob, carol, .. crowd];
        Participant[] everyone = [.. speakers, muted];
        await WaitUntil(() => everyone.All(p => p.Speakers.Count == 9), "every participant was offered the nine others");

        await TalkAsync(everyone, 40);

        foreach (var listener in everyone)
            foreach (var speaker in speakers.Where(s => s != listener))
                await WaitUntil(() => listener.ReceivedFrom(speaker) >= 30, $"{listener.Name} heard {speaker.Name}: {listener.ReceivedFrom(speaker)} packets");
        Assert.All(everyone, listener => Assert.Equal(0, listener.ReceivedFrom(muted)));
        Assert.Equal(0, alice.ReceivedBySsrc.Keys.Count(k => !alice.Speakers.ContainsKey(k)));
        await alice.Gateway.DispatchAsync("VOICE_SPEAKING", d => d.GetProperty("user_id").GetString() == Bob.UserId && d.GetProperty("speaking").GetBoolean());

        // Bob deafens himself: as on Discord that mutes him too; he receives nothing more, the others still hear each other.
        await bob.Gateway.SendAsync(new { op = 4, d = new { guild_id = GuildId, channel_id = voice, self_mute = false, self_deaf = true } });
        await alice.Gateway.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("user_id").GetString() == Bob.UserId && d.GetProperty("self_deaf").GetBoolean());
        // Packets of the talk above that were still on their way (a busy machine) count as before.
        await SettledAsync(() => everyone.Sum(p => p.ReceivedBySsrc.Values.Sum()));
        var bobBefore = bob.ReceivedBySsrc.Values.Sum();
        var aliceFromBobBefore = alice.ReceivedFrom(bob);
        var aliceFromCarolBefore = alice.ReceivedFrom(carol);
        await TalkAsync(everyone, 30);
        await WaitUntil(() => alice.ReceivedFrom(carol) >= aliceFromCarolBefore + 20, "alice still hears carol");
        await Task.Delay(200, Cancel);
        Assert.Equal(bobBefore, bob.ReceivedBySsrc.Values.Sum());
        Assert.Equal(aliceFromBobBefore, alice.ReceivedFrom(bob));
        foreach (var participant in crowd)
            await participant.DisposeAsync();
    }

    [Fact]
    public async Task Without_speak_a_member_is_heard_by_nobody_and_leaving_stops_the_stream()
    {
        await SetUpCommunityAsync();
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString()!;
        await (await AliceHttp.PutAsJsonAsync($"channels/{voice}/permissions/{Bob.UserId}", new { type = 1, deny = "2097152" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        await using var alice = await JoinAsync("alice", Alice, GuildId, voice);
        await using var bob = await JoinAsync("bob", Bob, GuildId, voice);
        await WaitUntil(() => alice.Speakers.Count == 1 && bob.Speakers.Count == 1, "both were offered the other");

        await TalkAsync([alice, bob], 30);

        await WaitUntil(() => bob.ReceivedFrom(alice) >= 20, "bob (without SPEAK) still hears alice");
        Assert.Equal(0, alice.ReceivedFrom(bob));

        await alice.Gateway.SendAsync(new { op = 4, d = new { guild_id = GuildId, channel_id = (string?)null, self_mute = false, self_deaf = false } });
        await bob.Gateway.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("user_id").GetString() == Alice.UserId && d.GetProperty("channel_id").ValueKind == JsonValueKind.Null);
        await SettledAsync(() => bob.ReceivedFrom(alice));
        var heard = bob.ReceivedFrom(alice);
        await TalkAsync([alice], 20);
        await Task.Delay(200, Cancel);
        Assert.Equal(heard, bob.ReceivedFrom(alice));
    }
}
