using System.Globalization;
using Microsoft.EntityFrameworkCore;
using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// Voice comes back after what interrupts it: a server restart (stale voice states cleared,
/// clients identify and rejoin) and a leave followed by a rejoin within one server life.
/// </summary>
public abstract class VoiceRecoveryTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : VoiceRecoveryTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : VoiceRecoveryTests(DatabaseProvider.Sqlite);

    private async Task<string> VoiceChannelAsync() =>
        (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString()!;

    private async Task<int> VoiceStateRowsAsync()
    {
        await using var db = Server.Database.OpenContext();
        return await db.VoiceStates.CountAsync(v => v.GuildId == long.Parse(GuildId, CultureInfo.InvariantCulture), Cancel);
    }

    private static async Task WaitUntil(Func<bool> condition, string what)
    {
        for (var i = 0; i < 100 && !condition(); i++)
            await Task.Delay(50, Cancel);
        Assert.True(condition(), what);
    }

    /// <summary>Both talk; each must decode at least <paramref name="frames"/> audible frames more from the other than before.</summary>
    private static async Task BothHearEachOther(VoiceParticipant a, VoiceParticipant b, string when, int frames = 20)
    {
        var aBefore = a.HeardFrom(b);
        var bBefore = b.HeardFrom(a);
        await VoiceParticipant.TalkAsync([a, b], 40, Cancel);
        await WaitUntil(() => a.HeardFrom(b) >= aBefore + frames, $"{when}: alice decoded {a.HeardFrom(b) - aBefore} audible frames from bob");
        await WaitUntil(() => b.HeardFrom(a) >= bBefore + frames, $"{when}: bob decoded {b.HeardFrom(a) - bBefore} audible frames from alice");
    }

    [Fact]
    public async Task After_a_restart_no_ghosts_remain_and_the_room_carries_audio_again()
    {
        await SetUpCommunityAsync();
        var voice = await VoiceChannelAsync();
        var aliceGateway = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        var bobGateway = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var alice = await VoiceParticipant.JoinAsync(aliceGateway, Alice.UserId, GuildId, voice, Cancel);
        var bob = await VoiceParticipant.JoinAsync(bobGateway, Bob.UserId, GuildId, voice, Cancel);
        await WaitUntil(() => alice.Speakers.Values.Contains(Bob.UserId) && bob.Speakers.Values.Contains(Alice.UserId), "both were offered the other");
        await BothHearEachOther(alice, bob, "before the restart");
        var staleSessions = new[] { aliceGateway.SessionId!, bobGateway.SessionId! };

        var rowsWhileStopped = -1;
        await Server.RestartAsync(async () =>
        {
            rowsWhileStopped = await VoiceStateRowsAsync();
            // What a crash would have left instead: rows of this instance, and a row named the
            // way older versions named instances (by host).
            await using var db = Server.Database.OpenContext();
            var guildId = long.Parse(GuildId, CultureInfo.InvariantCulture);
            var channelId = long.Parse(voice, CultureInfo.InvariantCulture);
            db.VoiceStates.Add(new Data.Entities.VoiceState { GuildId = guildId, UserId = long.Parse(Alice.UserId, CultureInfo.InvariantCulture), ChannelId = channelId, SessionId = staleSessions[0], InstanceId = "worker-0" });
            db.VoiceStates.Add(new Data.Entities.VoiceState { GuildId = guildId, UserId = long.Parse(Bob.UserId, CultureInfo.InvariantCulture), ChannelId = channelId, SessionId = staleSessions[1], InstanceId = "old-host-0" });
            await db.SaveChangesAsync(Cancel);
        });

        // A planned stop asks clients to reconnect (op 7) and clears its voice states: a new
        // process cannot resume those sessions. The rows a crash leaves are cleared at start.
        Assert.Equal(0, rowsWhileStopped);
        await aliceGateway.NextAsync(f => f.Op == 7);
        await aliceGateway.ClosedAsync();
        await bobGateway.ClosedAsync();
        await alice.DisposeAsync();
        await bob.DisposeAsync();
        await aliceGateway.DisposeAsync();
        await bobGateway.DisposeAsync();
        Assert.Equal(0, await VoiceStateRowsAsync());

        // The client resumes as op 7 asks; the new process knows no session: op 9, identify anew.
        await using (var resuming = await GatewayClient.ConnectAsync(Server))
        {
            await resuming.NextAsync(f => f.Op == 10);
            await resuming.SendAsync(new { op = 6, d = new { token = Alice.Token, session_id = staleSessions[0], seq = 1 } });
            var invalid = await resuming.NextAsync(f => f.Op == 9);
            Assert.False(invalid.D.GetBoolean());
        }
        await using var aliceAgain = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bobAgain = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        Assert.Empty(aliceAgain.Guilds.Single().GetProperty("voice_states").EnumerateArray());
        Assert.Empty(bobAgain.Guilds.Single().GetProperty("voice_states").EnumerateArray());
        await Error(await AliceHttp.GetAsync($"guilds/{GuildId}/voice-states/{Bob.UserId}", Cancel), HttpStatusCode.NotFound, 10065);

        await using var alice2 = await VoiceParticipant.JoinAsync(aliceAgain, Alice.UserId, GuildId, voice, Cancel);
        await using var bob2 = await VoiceParticipant.JoinAsync(bobAgain, Bob.UserId, GuildId, voice, Cancel);
        var joined = await aliceAgain.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("user_id").GetString() == Bob.UserId);
        Assert.Equal(voice, joined.D.GetProperty("channel_id").GetString());
        Assert.Equal(bobAgain.SessionId, joined.D.GetProperty("session_id").GetString());
        Assert.DoesNotContain(joined.D.GetProperty("session_id").GetString(), staleSessions);
        await WaitUntil(() => alice2.Speakers.Values.Contains(Bob.UserId) && bob2.Speakers.Values.Contains(Alice.UserId), "both were offered the other after the restart");
        await BothHearEachOther(alice2, bob2, "after the restart");
        Assert.Equal(2, await VoiceStateRowsAsync());
    }

    [Fact]
    public async Task Leaving_and_rejoining_on_the_same_connection_brings_the_audio_back()
    {
        await SetUpCommunityAsync();
        var voice = await VoiceChannelAsync();
        await using var aliceGateway = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bobGateway = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var bob = await VoiceParticipant.JoinAsync(bobGateway, Bob.UserId, GuildId, voice, Cancel);
        var alice = await VoiceParticipant.JoinAsync(aliceGateway, Alice.UserId, GuildId, voice, Cancel);
        await WaitUntil(() => bob.Speakers.Values.Contains(Alice.UserId), "bob was offered alice");
        await BothHearEachOther(alice, bob, "first join");

        await aliceGateway.SendAsync(new { op = 4, d = new { guild_id = GuildId, channel_id = (string?)null, self_mute = false, self_deaf = false } });
        await bobGateway.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("user_id").GetString() == Alice.UserId && d.GetProperty("channel_id").ValueKind == JsonValueKind.Null);
        await alice.DisposeAsync();
        var heardBeforeRejoin = bob.HeardFrom(alice);

        // Same gateway session, a new peer connection: the server must make a new voice peer and
        // give bob a fresh stream for alice, not leave him on the retired one.
        await using var aliceBack = await VoiceParticipant.JoinAsync(aliceGateway, Alice.UserId, GuildId, voice, Cancel);
        await bobGateway.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("user_id").GetString() == Alice.UserId && d.GetProperty("channel_id").GetString() == voice);
        await WaitUntil(() => aliceBack.Speakers.Values.Contains(Bob.UserId), "alice was offered bob again");
        await BothHearEachOther(aliceBack, bob, "after the rejoin");
        Assert.True(bob.HeardFrom(alice) > heardBeforeRejoin);
        Assert.Equal(2, await VoiceStateRowsAsync());
    }
}
