using Together.Data;

namespace Together.Server.Tests;

/// <summary>Voice states over the gateway (op 4): who is in which voice channel, kept true.</summary>
public abstract class VoiceStateTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : VoiceStateTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : VoiceStateTests(DatabaseProvider.Sqlite);

    private string VoiceChannelId => VoiceChannel.GetProperty("id").GetString()!;

    private JsonElement VoiceChannel { get; set; }

    private async Task SetUpVoiceAsync()
    {
        await SetUpCommunityAsync();
        VoiceChannel = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2);
    }

    private static Task Join(GatewayClient client, string guildId, string? channelId, bool mute = false) =>
        client.SendAsync(new { op = 4, d = new { guild_id = guildId, channel_id = channelId, self_mute = mute, self_deaf = false } });

    [Fact]
    public async Task Joining_moving_and_leaving_are_announced_and_stored()
    {
        await SetUpVoiceAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await Join(bob, GuildId, VoiceChannelId, mute: true);

        var joined = await alice.DispatchAsync("VOICE_STATE_UPDATE");
        Assert.Equal(Bob.UserId, joined.D.GetProperty("user_id").GetString());
        Assert.Equal(VoiceChannelId, joined.D.GetProperty("channel_id").GetString());
        Assert.True(joined.D.GetProperty("self_mute").GetBoolean());
        Assert.Equal(bob.SessionId, joined.D.GetProperty("session_id").GetString());
        // With the member, as Discord: who joined can be shown without a lookup.
        Assert.Equal(Bob.UserId, joined.D.GetProperty("member").GetProperty("user").GetProperty("id").GetString());
        await bob.DispatchAsync("VOICE_STATE_UPDATE");
        var stored = await Get(AliceHttp, $"guilds/{GuildId}/voice-states/{Bob.UserId}");
        Assert.Equal(VoiceChannelId, stored.GetProperty("channel_id").GetString());
        await using (var late = await GatewayClient.IdentifyAsync(Server, Alice.Token))
            Assert.Contains(late.Guilds[0].GetProperty("voice_states").EnumerateArray(), v => v.GetProperty("user_id").GetString() == Bob.UserId);

        await Join(bob, GuildId, null);

        var left = await alice.DispatchAsync("VOICE_STATE_UPDATE");
        Assert.Equal(JsonValueKind.Null, left.D.GetProperty("channel_id").ValueKind);
        await Error(await AliceHttp.GetAsync($"guilds/{GuildId}/voice-states/{Bob.UserId}", Cancel), HttpStatusCode.NotFound, 10065);
    }

    [Fact]
    public async Task Without_connect_or_beyond_the_user_limit_nobody_joins()
    {
        await SetUpVoiceAsync();
        await (await AliceHttp.PutAsJsonAsync($"channels/{VoiceChannelId}/permissions/{Bob.UserId}", new { type = 1, deny = "1048576" }, Cancel))
            .ExpectAsync(HttpStatusCode.NoContent);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        await Join(bob, GuildId, VoiceChannelId);
        await Join(bob, GuildId, GeneralId);
        Assert.DoesNotContain(await alice.DrainAsync(TimeSpan.FromMilliseconds(400)), f => f.T == "VOICE_STATE_UPDATE");

        await (await AliceHttp.DeleteAsync($"channels/{VoiceChannelId}/permissions/{Bob.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await (await AliceHttp.PatchJsonAsync($"channels/{VoiceChannelId}", new { user_limit = 1 })).ExpectAsync(HttpStatusCode.OK);
        await Join(alice, GuildId, VoiceChannelId);
        await alice.DispatchAsync("VOICE_STATE_UPDATE");
        await Join(bob, GuildId, VoiceChannelId);
        Assert.DoesNotContain(await alice.DrainAsync(TimeSpan.FromMilliseconds(400)), f => f.T == "VOICE_STATE_UPDATE");
    }

    [Fact]
    public async Task A_session_that_ends_or_a_member_who_is_kicked_leaves_voice()
    {
        await SetUpVoiceAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await Join(bob, GuildId, VoiceChannelId);
        await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("channel_id").ValueKind == JsonValueKind.String);

        await bob.CloseAsync();
        await bob.DisposeAsync();
        await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("channel_id").ValueKind == JsonValueKind.Null);

        await using var again = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await Join(again, GuildId, VoiceChannelId);
        await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("channel_id").ValueKind == JsonValueKind.String);
        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/members/{Bob.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("channel_id").ValueKind == JsonValueKind.Null);
        await Error(await AliceHttp.GetAsync($"guilds/{GuildId}/voice-states/{Bob.UserId}", Cancel), HttpStatusCode.NotFound, 10065);
    }

    [Fact]
    public async Task Malformed_voice_frames_close_the_connection()
    {
        await SetUpVoiceAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await bob.SendRawAsync("""{"op":4,"d":{"guild_id":"not a snowflake","channel_id":null}}""");

        Assert.Equal(4002, await bob.ClosedAsync());
    }
}

public abstract class VoiceModerationTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnSqlite() : VoiceModerationTests(DatabaseProvider.Sqlite);

    public sealed class OnPostgres() : VoiceModerationTests(DatabaseProvider.Postgres);

    [Fact]
    public async Task Moderators_server_mute_move_and_disconnect_members_in_voice()
    {
        await SetUpCommunityAsync();
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString()!;
        var lounge = (await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", new { name = "Lounge", type = 2, bitrate = 32000 })).ExpectAsync(HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await bob.SendAsync(new { op = 4, d = new { guild_id = GuildId, channel_id = voice, self_mute = false, self_deaf = false } });
        var offer = await bob.DispatchAsync("VOICE_OFFER");
        Assert.Contains("maxaveragebitrate=64000", offer.D.GetProperty("sdp").GetString(), StringComparison.Ordinal);
        await alice.DispatchAsync("VOICE_STATE_UPDATE");

        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { channel_id = lounge }), HttpStatusCode.Forbidden, 50013);
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { mute = true })).ExpectAsync(HttpStatusCode.OK);
        var muted = await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("mute").GetBoolean());
        Assert.Equal(voice, muted.D.GetProperty("channel_id").GetString());
        // Someone who connects later sees the server mute as well.
        await using (var late = await GatewayClient.IdentifyAsync(Server, Alice.Token))
            Assert.True(late.Guilds[0].GetProperty("voice_states").EnumerateArray().Single(v => v.GetProperty("user_id").GetString() == Bob.UserId).GetProperty("mute").GetBoolean());

        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { channel_id = lounge })).ExpectAsync(HttpStatusCode.OK);
        var moved = await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("channel_id").GetString() == lounge);
        Assert.True(moved.D.GetProperty("mute").GetBoolean());
        Assert.Contains("maxaveragebitrate=32000", (await bob.DispatchAsync("VOICE_OFFER", d => d.GetProperty("channel_id").GetString() == lounge)).D.GetProperty("sdp").GetString(), StringComparison.Ordinal);

        await (await AliceHttp.SendRawAsync(HttpMethod.Patch, $"guilds/{GuildId}/members/{Bob.UserId}", """{"channel_id": null}""")).ExpectAsync(HttpStatusCode.OK);
        await alice.DispatchAsync("VOICE_STATE_UPDATE", d => d.GetProperty("channel_id").ValueKind == JsonValueKind.Null);
        await Error(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { channel_id = voice }), HttpStatusCode.BadRequest, 40032);
    }
}
