using System.Net.WebSockets;
using Microsoft.Extensions.DependencyInjection;
using Together.Data;
using Together.Server.Features.Gateway;

namespace Together.Server.Tests;

public abstract class GatewayTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : GatewayTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : GatewayTests(DatabaseProvider.Sqlite);

    // The large-guild test registers fifty members from one address.
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Auth:RateLimits:Register:Limit"] = "100",
    };

    private async Task<string> SayAsync(HttpClient who, string content, string? channel = null, string? nonce = null) =>
        (await (await who.PostJsonAsync($"channels/{channel ?? GeneralId}/messages", new { content, nonce })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;

    private async Task<string> PrivateChannelAsync(string? roleId = null)
    {
        var overwrites = new List<object> { new { id = GuildId, type = 0, deny = "1024" } };
        if (roleId is not null)
            overwrites.Add(new { id = roleId, type = 0, allow = "1024" });
        var channel = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", new { name = "staff", permission_overwrites = overwrites }))
            .ExpectAsync(HttpStatusCode.Created);
        return channel.GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task The_gateway_url_has_no_query_string_and_the_bot_form_has_session_limits()
    {
        await SetUpCommunityAsync();

        var plain = await Get(Http, "gateway");
        var bot = await Get(BobHttp, "gateway/bot");

        Assert.Equal($"ws://{Server.Address.Authority}/gateway", plain.GetProperty("url").GetString());
        Assert.Equal(1, bot.GetProperty("shards").GetInt32());
        Assert.True(bot.GetProperty("session_start_limit").GetProperty("remaining").GetInt32() >= 1);
        await Error(await Http.GetAsync("gateway/bot", Cancel), HttpStatusCode.Unauthorized, 0);
    }

    [Fact]
    public async Task Identify_gives_ready_then_each_guild_in_full()
    {
        await SetUpCommunityAsync();

        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        Assert.Equal(10, bob.Ready.GetProperty("v").GetInt32());
        Assert.Equal(Bob.UserId, bob.Ready.GetProperty("user").GetProperty("id").GetString());
        var listed = Assert.Single(bob.Ready.GetProperty("guilds").EnumerateArray());
        Assert.Equal(GuildId, listed.GetProperty("id").GetString());
        Assert.True(listed.GetProperty("unavailable").GetBoolean());
        Assert.StartsWith($"ws://{Server.Address.Authority}/gateway", bob.Ready.GetProperty("resume_gateway_url").GetString(), StringComparison.Ordinal);
        Assert.False(string.IsNullOrEmpty(bob.Ready.GetProperty("session_id").GetString()));
        Assert.Equal("normal", bob.Ready.GetProperty("session_type").GetString());
        Assert.Equal(Bob.UserId, bob.Ready.GetProperty("application").GetProperty("id").GetString());
        Assert.Equal(0, bob.Ready.GetProperty("application").GetProperty("flags").GetInt32());
        foreach (var empty in new[] { "private_channels", "relationships", "presences" })
            Assert.Equal(0, bob.Ready.GetProperty(empty).GetArrayLength());
        Assert.False(bob.Ready.TryGetProperty("shard", out _)); // only for a sharded identify
        var guild = Assert.Single(bob.Guilds);
        Assert.Equal(GuildId, guild.GetProperty("id").GetString());
        Assert.Equal(4, guild.GetProperty("channels").GetArrayLength());
        Assert.Equal(2, guild.GetProperty("members").GetArrayLength());
        Assert.Equal(2, guild.GetProperty("member_count").GetInt32());
        Assert.Contains(guild.GetProperty("roles").EnumerateArray(), r => r.GetProperty("id").GetString() == GuildId);
        // Sequence numbers start at 1, with READY.
        Assert.Equal([1, 2], bob.OpeningSeqs);
    }

    [Fact]
    public async Task A_sharded_identify_gets_its_shard_and_only_the_guilds_it_owns()
    {
        await SetUpCommunityAsync();
        // Discord's rule: a guild belongs to shard (guild_id >> 22) % shard_count.
        var owner = (int)((long.Parse(GuildId, System.Globalization.CultureInfo.InvariantCulture) >> 22) % 2);

        foreach (var shard in new[] { owner, 1 - owner })
        {
            await using var bot = await GatewayClient.ConnectAsync(new Uri($"ws://{Server.Address.Authority}/gateway?v=10&encoding=json"));
            await bot.NextAsync(f => f.Op == 10);
            await bot.SendAsync(new
            {
                op = 2,
                d = new { token = Bob.Token, intents = GatewayClient.AllIntents, properties = new { os = "linux", browser = "tests", device = "tests" }, shard = new[] { shard, 2 } },
            });
            var ready = (await bot.DispatchAsync("READY")).D;

            Assert.Equal([shard, 2], ready.GetProperty("shard").EnumerateArray().Select(e => e.GetInt32()));
            var guilds = ready.GetProperty("guilds").EnumerateArray().Select(g => g.GetProperty("id").GetString()).ToList();
            Assert.Equal(shard == owner ? [GuildId] : [], guilds);
        }
    }

    [Fact]
    public async Task Heartbeats_are_acknowledged()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await bob.SendAsync(new { op = 1, d = bob.LastSeq });

        await bob.NextAsync(f => f.Op == 11);
        Assert.Equal(41250, bob.HeartbeatInterval);
    }

    [Theory]
    [InlineData("""{"op":2,"d":{"token":"not-a-token","intents":513,"properties":{}}}""", 4004)]
    [InlineData("""{"op":2,"d":{"token":"","intents":513,"properties":{}}}""", 4004)]
    [InlineData("""{"op":42,"d":null}""", 4001)]
    [InlineData("""{"op":3,"d":{"status":"idle"}}""", 4003)]
    [InlineData("""{"op":8,"d":{"guild_id":"1"}}""", 4003)]
    [InlineData("""this is not json""", 4002)]
    [InlineData("""[1,2,3]""", 4002)]
    [InlineData("""{"d":{}}""", 4002)]
    [InlineData("""{"op":"2","d":{}}""", 4002)]
    [InlineData("""{"op":2,"d":"nope"}""", 4002)]
    [InlineData("""{"op":2}""", 4002)]
    [InlineData("""{"op":6}""", 4002)]
    [InlineData("""{"op":2,"d":{"token":"\ud800","intents":513,"properties":{}}}""", 4002)]
    public async Task Bad_frames_close_with_discords_codes(string frame, int code)
    {
        await SetUpCommunityAsync();
        await using var client = await GatewayClient.ConnectAsync(Server);
        await client.NextAsync(f => f.Op == 10);

        await client.SendRawAsync(frame);

        Assert.Equal(code, await client.ClosedAsync());
    }

    [Theory]
    [InlineData("""{"op":3}""")]
    [InlineData("""{"op":4}""")]
    [InlineData("""{"op":8}""")]
    [InlineData("""{"op":3,"d":{"status":"online","afk":false,"since":null,"activities":[null]}}""")]
    [InlineData("""{"op":3,"d":{"status":"online","afk":false,"since":null,"activities":[{"name":"a\u0000","type":0}]}}""")]
    [InlineData("""{"op":8,"d":{"guild_id":"1","query":"\udc00","limit":0}}""")]
    public async Task Bad_payloads_after_identify_are_decode_errors(string frame)
    {
        // A missing "d" is null; a null in a list or broken text is a payload that cannot be
        // decoded (4002), never the 4000 of a failure inside the server.
        await SetUpCommunityAsync();
        await using var client = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await client.SendRawAsync(frame);

        Assert.Equal(4002, await client.ClosedAsync());
    }

    [Fact]
    public async Task Expired_invalid_intents_and_second_identify_are_refused()
    {
        await SetUpCommunityAsync();

        await using (var badIntents = await GatewayClient.ConnectAsync(Server))
        {
            await badIntents.SendAsync(new { op = 2, d = new { token = Bob.Token, intents = 1 << 30, properties = new { } } });
            Assert.Equal(4013, await badIntents.ClosedAsync());
        }
        await using (var twice = await GatewayClient.IdentifyAsync(Server, Bob.Token))
        {
            await twice.SendAsync(new { op = 2, d = new { token = Bob.Token, intents = 1, properties = new { } } });
            Assert.Equal(4005, await twice.ClosedAsync());
        }
        await using var oldVersion = await GatewayClient.ConnectAsync(Server, "?v=6&encoding=json");
        Assert.Equal(4012, await oldVersion.ClosedAsync());
        await using var etf = await GatewayClient.ConnectAsync(Server, "?v=10&encoding=etf");
        Assert.Equal(4002, await etf.ClosedAsync());
        await (await BobHttp.PostAsync("auth/logout", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await using var loggedOut = await GatewayClient.ConnectAsync(Server);
        await loggedOut.SendAsync(new { op = 2, d = new { token = Bob.Token, intents = 1, properties = new { } } });
        Assert.Equal(4004, await loggedOut.ClosedAsync());
    }

    [Fact]
    public async Task An_expired_token_is_refused_and_logging_out_closes_open_connections()
    {
        await SetUpCommunityAsync();
        var sid = new Microsoft.IdentityModel.JsonWebTokens.JsonWebToken(Bob.Token).GetClaim("sid").Value;
        var expired = new Microsoft.IdentityModel.JsonWebTokens.JsonWebTokenHandler { SetDefaultTimesOnTokenCreation = false }.CreateToken(
            new Microsoft.IdentityModel.Tokens.SecurityTokenDescriptor
            {
                Issuer = "together",
                Audience = "together",
                IssuedAt = DateTime.UtcNow.AddMinutes(-20),
                NotBefore = DateTime.UtcNow.AddMinutes(-20),
                Expires = DateTime.UtcNow.AddMinutes(-5),
                SigningCredentials = new Microsoft.IdentityModel.Tokens.SigningCredentials(
                    new Microsoft.IdentityModel.Tokens.SymmetricSecurityKey(RunningServer.SigningKey), "HS256"),
                Claims = new Dictionary<string, object> { ["sub"] = Bob.UserId, ["sid"] = sid },
            });
        await using (var stale = await GatewayClient.ConnectAsync(Server))
        {
            await stale.SendAsync(new { op = 2, d = new { token = expired, intents = 1, properties = new { } } });
            Assert.Equal(4004, await stale.ClosedAsync());
        }
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await (await BobHttp.PostAsync("auth/logout", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        Assert.Equal(4004, await bob.ClosedAsync());
    }

    [Fact]
    public async Task Oversized_frames_and_floods_are_cut_off()
    {
        await SetUpCommunityAsync();
        await using (var big = await GatewayClient.ConnectAsync(Server))
        {
            await big.SendRawAsync($$"""{"op":1,"d":null,"pad":"{{new string('x', 5000)}}"}""");
            Assert.Equal(4002, await big.ClosedAsync());
        }
        await using var flood = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        for (var i = 0; i < 125 && flood.CloseStatus is null; i++)
            await flood.SendAsync(new { op = 1, d = (int?)null });

        Assert.Equal(4008, await flood.ClosedAsync());
    }

    [Fact]
    public async Task A_message_reaches_every_member_who_can_see_it_with_the_senders_nonce()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var carol = await GatewayClient.IdentifyAsync(Server, Carol.Token);

        var id = await SayAsync(BobHttp, "gg", nonce: "n-1");

        var atAlice = await alice.DispatchAsync("MESSAGE_CREATE");
        var atBob = await bob.DispatchAsync("MESSAGE_CREATE");
        Assert.Equal(id, atAlice.D.GetProperty("id").GetString());
        Assert.Equal("gg", atAlice.D.GetProperty("content").GetString());
        Assert.Equal(GuildId, atAlice.D.GetProperty("guild_id").GetString());
        Assert.Equal("n-1", atBob.D.GetProperty("nonce").GetString());
        Assert.Equal(JsonValueKind.Array, atAlice.D.GetProperty("member").GetProperty("roles").ValueKind);
        // As on Discord the partial member has no "user" key (discord.js crashes on "user": null).
        Assert.False(atAlice.D.GetProperty("member").TryGetProperty("user", out _));
        Assert.DoesNotContain(await carol.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T == "MESSAGE_CREATE");
    }

    [Fact]
    public async Task A_member_without_view_channel_never_receives_that_channels_events()
    {
        await SetUpCommunityAsync();
        var staff = await PrivateChannelAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        await SayAsync(AliceHttp, "secret plans", staff);
        await (await AliceHttp.PostAsync($"channels/{staff}/typing", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await SayAsync(AliceHttp, "public", GeneralId);

        var received = await bob.DispatchAsync("MESSAGE_CREATE");
        Assert.Equal("public", received.D.GetProperty("content").GetString());
        Assert.DoesNotContain(bob.Guilds[0].GetProperty("channels").EnumerateArray(), c => c.GetProperty("id").GetString() == staff);
        Assert.DoesNotContain(await bob.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.D.ValueKind == JsonValueKind.Object
            && f.D.TryGetProperty("channel_id", out var c) && c.GetString() == staff);
        await alice.DispatchAsync("MESSAGE_CREATE", d => d.GetProperty("content").GetString() == "secret plans");
    }

    [Fact]
    public async Task Losing_a_role_stops_a_channels_events_at_once()
    {
        await SetUpCommunityAsync();
        var staffRole = await CreateRoleAsync("staff", "0");
        await GiveRoleAsync(Bob.UserId, staffRole);
        var staff = await PrivateChannelAsync(staffRole);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await SayAsync(AliceHttp, "welcome, staff", staff);
        await bob.DispatchAsync("MESSAGE_CREATE", d => d.GetProperty("channel_id").GetString() == staff);

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/members/{Bob.UserId}/roles/{staffRole}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await bob.DispatchAsync("GUILD_MEMBER_UPDATE");
        await SayAsync(AliceHttp, "bob is out", staff);
        await SayAsync(AliceHttp, "marker", GeneralId);

        var next = await bob.DispatchAsync("MESSAGE_CREATE");
        Assert.Equal("marker", next.D.GetProperty("content").GetString());
    }

    [Fact]
    public async Task A_role_that_opens_a_channel_reveals_it_and_taking_it_away_hides_it()
    {
        await SetUpCommunityAsync();
        var staffRole = await CreateRoleAsync("staff", "0");
        var staff = await PrivateChannelAsync(staffRole);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await GiveRoleAsync(Bob.UserId, staffRole);
        Assert.Equal(staff, (await bob.DispatchAsync("CHANNEL_CREATE")).D.GetProperty("id").GetString());

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/members/{Bob.UserId}/roles/{staffRole}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal(staff, (await bob.DispatchAsync("CHANNEL_DELETE")).D.GetProperty("id").GetString());

        // Opening the channel to @everyone through the role's own permissions works the same way.
        await (await AliceHttp.DeleteAsync($"channels/{staff}/permissions/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal(staff, (await bob.DispatchAsync("CHANNEL_UPDATE")).D.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_newcomer_is_announced_online_to_the_members()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var carol = await GatewayClient.IdentifyAsync(Server, Carol.Token);

        await JoinAsync(CarolHttp);

        var online = await alice.DispatchAsync("PRESENCE_UPDATE", d => d.GetProperty("user").GetProperty("id").GetString() == Carol.UserId);
        Assert.Equal("online", online.D.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Hiding_a_channel_deletes_it_for_those_who_lose_sight_of_it()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        await (await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{GuildId}", new { type = 0, deny = "1024" }, Cancel))
            .ExpectAsync(HttpStatusCode.NoContent);

        var deleted = await bob.DispatchAsync("CHANNEL_DELETE");
        Assert.Equal(GeneralId, deleted.D.GetProperty("id").GetString());
        var updated = await alice.DispatchAsync("CHANNEL_UPDATE");
        Assert.Single(updated.D.GetProperty("permission_overwrites").EnumerateArray());
        await SayAsync(AliceHttp, "only alice sees this");
        Assert.DoesNotContain(await bob.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T == "MESSAGE_CREATE");
    }

    [Fact]
    public async Task A_kicked_member_loses_the_guild_and_the_rest_see_them_go()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/members/{Bob.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        var gone = await bob.DispatchAsync("GUILD_DELETE");
        Assert.Equal(GuildId, gone.D.GetProperty("id").GetString());
        var removed = await alice.DispatchAsync("GUILD_MEMBER_REMOVE");
        Assert.Equal(Bob.UserId, removed.D.GetProperty("user").GetProperty("id").GetString());
        await SayAsync(AliceHttp, "bob cannot read this");
        await alice.DispatchAsync("MESSAGE_CREATE");
        Assert.DoesNotContain(await bob.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T == "MESSAGE_CREATE");
    }

    [Fact]
    public async Task Joining_through_an_invite_delivers_the_guild_and_then_its_events()
    {
        await SetUpCommunityAsync();
        await using var carol = await GatewayClient.IdentifyAsync(Server, Carol.Token);
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        Assert.Empty(carol.Guilds);

        await JoinAsync(CarolHttp);

        var guild = await carol.DispatchAsync("GUILD_CREATE");
        Assert.Equal(GuildId, guild.D.GetProperty("id").GetString());
        Assert.Equal(4, guild.D.GetProperty("channels").GetArrayLength());
        // Events of the set-up (bob's join) may still be on their way: wait for carol's.
        var added = await alice.DispatchAsync("GUILD_MEMBER_ADD", d => d.GetProperty("user").GetProperty("id").GetString() == Carol.UserId);
        Assert.Equal(Carol.UserId, added.D.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(GuildId, added.D.GetProperty("guild_id").GetString());
        await SayAsync(AliceHttp, "welcome carol");
        await carol.DispatchAsync("MESSAGE_CREATE", d => d.GetProperty("content").GetString() == "welcome carol");
    }

    [Fact]
    public async Task Creating_a_server_delivers_it_to_the_creators_connections()
    {
        await SetUpCommunityAsync();
        await using var carol = await GatewayClient.IdentifyAsync(Server, Carol.Token);

        var created = await (await CarolHttp.PostJsonAsync("guilds", new { name = "Carol's" })).ExpectAsync(HttpStatusCode.Created);

        var guild = await carol.DispatchAsync("GUILD_CREATE");
        Assert.Equal(created.GetProperty("id").GetString(), guild.D.GetProperty("id").GetString());
        var general = guild.D.GetProperty("system_channel_id").GetString();
        await SayAsync(CarolHttp, "first!", general);
        await carol.DispatchAsync("MESSAGE_CREATE");
    }

    [Fact]
    public async Task Resume_replays_every_missed_dispatch_in_order_with_the_original_sequence_numbers()
    {
        await SetUpCommunityAsync();
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await SayAsync(AliceHttp, "before the drop");
        await bob.DispatchAsync("MESSAGE_CREATE");
        var seen = bob.LastSeq!.Value;
        var sessionId = bob.SessionId;
        bob.Abort();
        await bob.DisposeAsync();

        var missed = new List<string>();
        for (var i = 0; i < 3; i++)
            missed.Add(await SayAsync(AliceHttp, $"while away {i}"));

        await using var back = await GatewayClient.ConnectAsync(Server);
        await back.NextAsync(f => f.Op == 10);
        await back.SendAsync(new { op = 6, d = new { token = Bob.Token, session_id = sessionId, seq = seen } });
        var replayed = new List<Frame>();
        for (var i = 0; i < 3; i++)
            replayed.Add(await back.DispatchAsync("MESSAGE_CREATE"));
        var resumed = await back.DispatchAsync("RESUMED");

        Assert.Equal(missed, replayed.Select(f => f.D.GetProperty("id").GetString()));
        Assert.Equal([seen + 1, seen + 2, seen + 3], replayed.Select(f => f.S!.Value));
        Assert.Equal(seen + 4, resumed.S);
        var after = await SayAsync(AliceHttp, "live again");
        var live = await back.DispatchAsync("MESSAGE_CREATE");
        Assert.Equal(after, live.D.GetProperty("id").GetString());
        Assert.Equal(seen + 5, live.S);
    }

    [Fact]
    public async Task Resuming_an_unknown_or_foreign_session_is_an_invalid_session()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        await using var stranger = await GatewayClient.ConnectAsync(Server);
        await stranger.NextAsync(f => f.Op == 10);
        await stranger.SendAsync(new { op = 6, d = new { token = Bob.Token, session_id = alice.SessionId, seq = 1 } });
        var invalid = await stranger.NextAsync(f => f.Op == 9);
        Assert.False(invalid.D.GetBoolean());

        await using var unknown = await GatewayClient.ConnectAsync(Server);
        await unknown.NextAsync(f => f.Op == 10);
        await unknown.SendAsync(new { op = 6, d = new { token = Bob.Token, session_id = "nope", seq = 1 } });
        await unknown.NextAsync(f => f.Op == 9);
    }

    [Fact]
    public async Task A_clean_close_ends_the_session()
    {
        await SetUpCommunityAsync();
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var sessionId = bob.SessionId;
        await bob.CloseAsync();
        Assert.Equal(1000, bob.CloseCode); // the server answers with the client's code
        await bob.DisposeAsync();
        await Task.Delay(200, Cancel);

        await using var back = await GatewayClient.ConnectAsync(Server);
        await back.NextAsync(f => f.Op == 10);
        await back.SendAsync(new { op = 6, d = new { token = Bob.Token, session_id = sessionId, seq = 2 } });
        await back.NextAsync(f => f.Op == 9);
    }

    [Fact]
    public async Task A_close_with_an_application_code_is_answered_with_it_and_leaves_the_session_resumable()
    {
        await SetUpCommunityAsync();
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var (sessionId, seq) = (bob.SessionId, bob.LastSeq!.Value);
        await bob.CloseAsync((WebSocketCloseStatus)4100);
        Assert.Equal(4100, bob.CloseCode);
        await bob.DisposeAsync();

        await using var back = await GatewayClient.ConnectAsync(Server);
        await back.NextAsync(f => f.Op == 10);
        await back.SendAsync(new { op = 6, d = new { token = Bob.Token, session_id = sessionId, seq } });
        await back.DispatchAsync("RESUMED");
    }

    [Fact]
    public async Task Typing_goes_to_the_others_in_the_channel()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await (await BobHttp.PostAsync($"channels/{GeneralId}/typing", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        var typing = await alice.DispatchAsync("TYPING_START");
        Assert.Equal(Bob.UserId, typing.D.GetProperty("user_id").GetString());
        Assert.Equal(GeneralId, typing.D.GetProperty("channel_id").GetString());
        Assert.DoesNotContain(await bob.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T == "TYPING_START");
        await Error(await CarolHttp.PostAsync($"channels/{GeneralId}/typing", null, Cancel), HttpStatusCode.Forbidden, 50001);
    }

    [Fact]
    public async Task Presence_follows_connections_and_status_changes()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var online = await alice.DispatchAsync("PRESENCE_UPDATE", d => d.GetProperty("user").GetProperty("id").GetString() == Bob.UserId);
        Assert.Equal("online", online.D.GetProperty("status").GetString());
        Assert.Contains(bob.Guilds[0].GetProperty("presences").EnumerateArray(), p => p.GetProperty("user").GetProperty("id").GetString() == Alice.UserId);
        // Bob's own presence is in his snapshot as well: his first session, so nobody had seen him online before.
        Assert.Contains(bob.Guilds[0].GetProperty("presences").EnumerateArray(),
            p => p.GetProperty("user").GetProperty("id").GetString() == Bob.UserId && p.GetProperty("status").GetString() == "online");

        await bob.SendAsync(new { op = 3, d = new { status = "dnd", since = (long?)null, afk = false, activities = new[] { new { name = "Valorant", type = 0 } } } });
        var dnd = await alice.DispatchAsync("PRESENCE_UPDATE");
        Assert.Equal("dnd", dnd.D.GetProperty("status").GetString());
        Assert.Equal("Valorant", dnd.D.GetProperty("activities")[0].GetProperty("name").GetString());

        await bob.SendAsync(new { op = 3, d = new { status = "invisible", since = (long?)null, afk = false, activities = Array.Empty<object>() } });
        Assert.Equal("offline", (await alice.DispatchAsync("PRESENCE_UPDATE")).D.GetProperty("status").GetString());
        await bob.SendAsync(new { op = 3, d = new { status = "online", since = (long?)null, afk = false, activities = Array.Empty<object>() } });
        Assert.Equal("online", (await alice.DispatchAsync("PRESENCE_UPDATE")).D.GetProperty("status").GetString());

        await bob.CloseAsync();
        await bob.DisposeAsync();
        Assert.Equal("offline", (await alice.DispatchAsync("PRESENCE_UPDATE")).D.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Without_the_message_content_intent_others_messages_arrive_without_content()
    {
        await SetUpCommunityAsync();
        const int guildsAndMessages = (1 << 0) | (1 << 9);
        await using var bot = await GatewayClient.IdentifyAsync(Server, Bob.Token, guildsAndMessages);
        await using var typingOnly = await GatewayClient.IdentifyAsync(Server, Bob.Token, 1);

        await SayAsync(AliceHttp, "hidden from bots");
        await SayAsync(AliceHttp, $"hey <@{Bob.UserId}>");

        Assert.Equal("", (await bot.DispatchAsync("MESSAGE_CREATE")).D.GetProperty("content").GetString());
        Assert.Equal($"hey <@{Bob.UserId}>", (await bot.DispatchAsync("MESSAGE_CREATE")).D.GetProperty("content").GetString());
        Assert.DoesNotContain(await typingOnly.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T == "MESSAGE_CREATE");
    }

    [Fact]
    public async Task Edits_deletes_reactions_pins_and_role_changes_are_dispatched()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var id = await SayAsync(AliceHttp, "first version");

        await (await AliceHttp.PatchJsonAsync($"channels/{GeneralId}/messages/{id}", new { content = "second version" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("second version", (await bob.DispatchAsync("MESSAGE_UPDATE")).D.GetProperty("content").GetString());
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/messages/{id}/reactions/{Uri.EscapeDataString("🔥")}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal("🔥", (await bob.DispatchAsync("MESSAGE_REACTION_ADD")).D.GetProperty("emoji").GetProperty("name").GetString());
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/pins/{id}", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await bob.DispatchAsync("CHANNEL_PINS_UPDATE");
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal(id, (await bob.DispatchAsync("MESSAGE_DELETE")).D.GetProperty("id").GetString());
        var role = await CreateRoleAsync("raiders", "0");
        Assert.Equal(role, (await bob.DispatchAsync("GUILD_ROLE_CREATE")).D.GetProperty("role").GetProperty("id").GetString());
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}", new { name = "Renamed" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("Renamed", (await bob.DispatchAsync("GUILD_UPDATE")).D.GetProperty("name").GetString());
        var channel = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", new { name = "new-one" })).ExpectAsync(HttpStatusCode.Created);
        Assert.Equal(channel.GetProperty("id").GetString(), (await bob.DispatchAsync("CHANNEL_CREATE")).D.GetProperty("id").GetString());
    }

    [Fact]
    public async Task Bans_and_invites_reach_only_those_who_moderate_them()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        var code = await InviteAsync(new { unique = true });
        // Invites of the set-up may still be on their way: this one arrives all the same.
        await alice.DispatchAsync("INVITE_CREATE", d => d.GetProperty("code").GetString() == code);
        await (await AliceHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Carol.UserId}", new { }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal(Carol.UserId, (await alice.DispatchAsync("GUILD_BAN_ADD")).D.GetProperty("user").GetProperty("id").GetString());
        await bob.DispatchAsync("GUILD_MEMBER_REMOVE", d => d.GetProperty("user").GetProperty("id").GetString() == Carol.UserId);
        await (await AliceHttp.DeleteAsync($"invites/{code}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        await alice.DispatchAsync("INVITE_DELETE");

        Assert.DoesNotContain(await bob.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T is "GUILD_BAN_ADD" or "INVITE_CREATE" or "INVITE_DELETE");
    }

    [Fact]
    public async Task Members_can_be_requested_with_op_8()
    {
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await bob.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "", limit = 0, nonce = "all" } });
        var chunk = await bob.DispatchAsync("GUILD_MEMBERS_CHUNK");
        Assert.Equal(3, chunk.D.GetProperty("members").GetArrayLength());
        Assert.Equal("all", chunk.D.GetProperty("nonce").GetString());

        await bob.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "car", limit = 10 } });
        var byName = await bob.DispatchAsync("GUILD_MEMBERS_CHUNK");
        Assert.Equal(Carol.UserId, Assert.Single(byName.D.GetProperty("members").EnumerateArray()).GetProperty("user").GetProperty("id").GetString());
    }

    [Fact]
    public async Task Zlib_stream_compresses_every_frame_with_a_sync_flush()
    {
        await SetUpCommunityAsync();
        await using var client = await GatewayClient.ConnectAsync(Server, "?v=10&encoding=json&compress=zlib-stream", zlib: true);

        var hello = await client.NextAsync(f => f.Op == 10);
        await client.SendAsync(new { op = 2, d = new { token = Bob.Token, intents = GatewayClient.AllIntents, properties = new { } } });
        await client.DispatchAsync("READY");
        await client.DispatchAsync("GUILD_CREATE");

        Assert.True(hello.D.GetProperty("heartbeat_interval").GetInt32() > 0);
        var frames = client.RawBinaryFrames.ToArray();
        Assert.True(frames.Length >= 3);
        Assert.All(frames, f => Assert.Equal([0x00, 0x00, 0xFF, 0xFF], f[^4..]));
    }

    [Fact]
    public async Task A_change_of_an_activitys_details_under_the_same_name_is_announced()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await bob.SendAsync(new { op = 3, d = new { status = "online", since = (long?)null, afk = false, activities = new[] { new { name = "Valorant", type = 0, state = "In the lobby" } } } });
        await alice.DispatchAsync("PRESENCE_UPDATE", d => d.GetProperty("activities").GetArrayLength() == 1);

        await bob.SendAsync(new { op = 3, d = new { status = "online", since = (long?)null, afk = false, activities = new[] { new { name = "Valorant", type = 0, state = "In a match" } } } });
        var update = await alice.DispatchAsync("PRESENCE_UPDATE");
        Assert.Equal("In a match", update.D.GetProperty("activities")[0].GetProperty("state").GetString());

        await bob.SendAsync(new { op = 3, d = new { status = "online", since = (long?)null, afk = false, activities = new[] { new { name = "Valorant", type = 1, state = "In a match" } } } });
        Assert.Equal(1, (await alice.DispatchAsync("PRESENCE_UPDATE")).D.GetProperty("activities")[0].GetProperty("type").GetInt32());
    }

    [Fact]
    public async Task Without_the_presences_intent_guild_create_has_only_the_user_and_no_presences()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        const int guildsAndMembers = (1 << 0) | (1 << 1);

        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token, guildsAndMembers);

        var guild = bob.Guilds[0];
        Assert.Equal(Bob.UserId, Assert.Single(guild.GetProperty("members").EnumerateArray()).GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(0, guild.GetProperty("presences").GetArrayLength());
        Assert.Equal(2, guild.GetProperty("member_count").GetInt32());
        // Alice, with every intent, sees everyone and who is online.
        await using var again = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        Assert.Equal(2, again.Guilds[0].GetProperty("members").GetArrayLength());
        Assert.NotEqual(0, again.Guilds[0].GetProperty("presences").GetArrayLength());
    }

    [Fact]
    public async Task Op_8_follows_the_members_and_presences_intents()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        const int guildsOnly = 1 << 0;
        const int guildsAndMembers = (1 << 0) | (1 << 1);
        await using var noMembers = await GatewayClient.IdentifyAsync(Server, Bob.Token, guildsOnly);
        await using var noPresences = await GatewayClient.IdentifyAsync(Server, Bob.Token, guildsAndMembers);

        // The whole list without GUILD_MEMBERS: Discord does not answer; a name or ids still work.
        await noMembers.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "", limit = 0, nonce = "all" } });
        await noMembers.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "ali", limit = 5, nonce = "by-name" } });
        var byName = await noMembers.DispatchAsync("GUILD_MEMBERS_CHUNK");
        Assert.Equal("by-name", byName.D.GetProperty("nonce").GetString());
        Assert.Equal(1, byName.D.GetProperty("members").GetArrayLength());
        Assert.Null(noMembers.CloseStatus);

        // presences: true without GUILD_PRESENCES is treated as false.
        await noPresences.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "", limit = 0, presences = true } });
        var chunk = await noPresences.DispatchAsync("GUILD_MEMBERS_CHUNK");
        Assert.Equal(2, chunk.D.GetProperty("members").GetArrayLength());
        Assert.Equal(JsonValueKind.Null, chunk.D.GetProperty("presences").ValueKind);
        await using var everything = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await everything.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "", limit = 0, presences = true } });
        Assert.NotEqual(0, (await everything.DispatchAsync("GUILD_MEMBERS_CHUNK")).D.GetProperty("presences").GetArrayLength());
    }

    [Fact]
    public async Task A_role_given_while_identify_loads_the_guild_is_not_lost()
    {
        await SetUpCommunityAsync();
        var staffRole = await CreateRoleAsync("staff", "0");
        var staff = await PrivateChannelAsync(staffRole);
        var states = Server.Services.GetRequiredService<GuildStates>();
        var guildId = long.Parse(GuildId, System.Globalization.CultureInfo.InvariantCulture);
        var channelId = long.Parse(staff, System.Globalization.CultureInfo.InvariantCulture);
        // Wait until the dispatcher has delivered every set-up event (one still queued would load
        // the guild again), then forget the guild as if nobody had connected yet: bob's IDENTIFY loads it.
        var dispatcher = Server.Services.GetRequiredService<Dispatcher>();
        for (var i = 0; i < 500 && !(dispatcher.Idle && states.TryGet(guildId, out var cached) && cached.Channels.ContainsKey(channelId)); i++)
            await Task.Delay(10, Cancel);
        Assert.True(dispatcher.Idle);
        states.Forget(guildId);
        var changed = 0;
        states.LoadedForTests = async id =>
        {
            if (id != guildId || Interlocked.Exchange(ref changed, 1) == 1)
                return;
            // The load has read bob without the role; now he gets it, and the dispatcher handles
            // that change while nothing is cached yet.
            var before = states.GenerationOf(guildId);
            await GiveRoleAsync(Bob.UserId, staffRole);
            for (var i = 0; i < 500 && states.GenerationOf(guildId) == before; i++)
                await Task.Delay(10, Cancel);
        };

        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        Assert.Equal(1, changed);
        Assert.Contains(bob.Guilds[0].GetProperty("channels").EnumerateArray(), c => c.GetProperty("id").GetString() == staff);
        await SayAsync(AliceHttp, "staff only", staff);
        await bob.DispatchAsync("MESSAGE_CREATE", d => d.GetProperty("channel_id").GetString() == staff);
    }

    [Fact]
    public async Task Role_updates_and_deletes_are_dispatched()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var role = await CreateRoleAsync("raiders", "0");
        await bob.DispatchAsync("GUILD_ROLE_CREATE");

        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles/{role}", new { name = "veterans" })).ExpectAsync(HttpStatusCode.OK);
        var updated = await bob.DispatchAsync("GUILD_ROLE_UPDATE");
        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/roles/{role}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var deleted = await bob.DispatchAsync("GUILD_ROLE_DELETE");

        Assert.Equal(GuildId, updated.D.GetProperty("guild_id").GetString());
        Assert.Equal("veterans", updated.D.GetProperty("role").GetProperty("name").GetString());
        Assert.Equal(role, deleted.D.GetProperty("role_id").GetString());
    }

    [Fact]
    public async Task A_banned_members_own_connection_loses_the_guild_and_the_unban_reaches_moderators()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await (await AliceHttp.PutAsJsonAsync($"guilds/{GuildId}/bans/{Bob.UserId}", new { }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Equal(GuildId, (await bob.DispatchAsync("GUILD_DELETE")).D.GetProperty("id").GetString());
        await alice.DispatchAsync("GUILD_BAN_ADD");
        await SayAsync(AliceHttp, "bob is out");
        await alice.DispatchAsync("MESSAGE_CREATE");
        Assert.DoesNotContain(await bob.DrainAsync(TimeSpan.FromMilliseconds(300)), f => f.T == "MESSAGE_CREATE");

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/bans/{Bob.UserId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var unbanned = await alice.DispatchAsync("GUILD_BAN_REMOVE");
        Assert.Equal(Bob.UserId, unbanned.D.GetProperty("user").GetProperty("id").GetString());
        Assert.Equal(GuildId, unbanned.D.GetProperty("guild_id").GetString());
    }

    [Fact]
    public async Task Bulk_deletes_and_reaction_removals_are_dispatched()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var first = await SayAsync(AliceHttp, "one");
        var second = await SayAsync(AliceHttp, "two");
        var fire = Uri.EscapeDataString("🔥");

        await (await AliceHttp.PutAsync($"channels/{GeneralId}/messages/{first}/reactions/{fire}/@me", null, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await bob.DispatchAsync("MESSAGE_REACTION_ADD");
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/messages/{first}/reactions/{fire}/@me", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var removed = await bob.DispatchAsync("MESSAGE_REACTION_REMOVE");
        await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages/bulk-delete", new { messages = new[] { first, second } })).ExpectAsync(HttpStatusCode.NoContent);
        var bulk = await bob.DispatchAsync("MESSAGE_DELETE_BULK");

        Assert.Equal(Alice.UserId, removed.D.GetProperty("user_id").GetString());
        Assert.Equal(first, removed.D.GetProperty("message_id").GetString());
        Assert.Equal("🔥", removed.D.GetProperty("emoji").GetProperty("name").GetString());
        Assert.Equal(new[] { first, second }.Order(), bulk.D.GetProperty("ids").EnumerateArray().Select(i => i.GetString()!).Order());
        Assert.Equal(GeneralId, bulk.D.GetProperty("channel_id").GetString());
    }

    [Fact]
    public async Task A_profile_change_reaches_the_users_own_sessions()
    {
        await SetUpCommunityAsync();
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await (await BobHttp.PatchJsonAsync("users/@me", new { global_name = "Bobby B." })).ExpectAsync(HttpStatusCode.OK);

        var update = await bob.DispatchAsync("USER_UPDATE");
        Assert.Equal(Bob.UserId, update.D.GetProperty("id").GetString());
        Assert.Equal("Bobby B.", update.D.GetProperty("global_name").GetString());
    }

    [Fact]
    public async Task Deleting_a_guild_sends_guild_delete_to_every_member()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);

        var atBob = await bob.DispatchAsync("GUILD_DELETE");
        var atAlice = await alice.DispatchAsync("GUILD_DELETE");
        Assert.Equal(GuildId, atBob.D.GetProperty("id").GetString());
        Assert.False(atBob.D.GetProperty("unavailable").GetBoolean());
        Assert.Equal(GuildId, atAlice.D.GetProperty("id").GetString());
    }

    [Fact]
    public async Task A_large_guild_lists_only_the_user_and_op_8_gives_the_rest()
    {
        await SetUpCommunityAsync();
        // 2 members + 50 newcomers: over the default large_threshold of 50.
        // Seeded in the database: accepting invites is limited to 30 a minute per address.
        var guests = new List<long>();
        for (var i = 0; i < 50; i++)
            guests.Add(long.Parse((await RegisterAsync($"guest{i:00}")).UserId, System.Globalization.CultureInfo.InvariantCulture));
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
            var guildId = long.Parse(GuildId, System.Globalization.CultureInfo.InvariantCulture);
            db.GuildMembers.AddRange(guests.Select(id => new Together.Data.Entities.GuildMember { GuildId = guildId, UserId = id, JoinedAt = DateTimeOffset.UtcNow }));
            await db.SaveChangesAsync(Cancel);
        }

        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var guild = bob.Guilds[0];
        Assert.True(guild.GetProperty("large").GetBoolean());
        Assert.Equal(52, guild.GetProperty("member_count").GetInt32());
        Assert.Equal(Bob.UserId, Assert.Single(guild.GetProperty("members").EnumerateArray()).GetProperty("user").GetProperty("id").GetString());
        var own = Assert.Single(guild.GetProperty("presences").EnumerateArray());
        Assert.Equal((Bob.UserId, "online"), (own.GetProperty("user").GetProperty("id").GetString(), own.GetProperty("status").GetString()));

        await bob.SendAsync(new { op = 8, d = new { guild_id = GuildId, query = "", limit = 0 } });
        var chunk = await bob.DispatchAsync("GUILD_MEMBERS_CHUNK");
        Assert.Equal(52, chunk.D.GetProperty("members").GetArrayLength());
    }

    [Fact]
    public async Task Bad_frames_on_one_connection_do_not_disturb_the_others()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        await using var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var garbage = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await using var unknown = await GatewayClient.IdentifyAsync(Server, Alice.Token);

        await garbage.SendRawAsync("{\"op\":2,\"d\":");
        await unknown.SendAsync(new { op = 99, d = (object?)null });

        Assert.Equal(4002, await garbage.ClosedAsync());
        Assert.Equal(4001, await unknown.ClosedAsync());
        var id = await SayAsync(AliceHttp, "still here");
        Assert.Equal(id, (await bob.DispatchAsync("MESSAGE_CREATE")).D.GetProperty("id").GetString());
        Assert.Equal(id, (await alice.DispatchAsync("MESSAGE_CREATE")).D.GetProperty("id").GetString());
        await bob.SendAsync(new { op = 1, d = bob.LastSeq });
        await bob.NextAsync(f => f.Op == 11);
    }
}

public sealed class GatewayShutdownTests
{
    [Fact]
    public async Task A_planned_shutdown_tells_clients_to_reconnect()
    {
        var server = await RunningServer.StartAsync(DatabaseProvider.Sqlite);
        var account = await (await server.Http.PostJsonAsync("auth/register", new { username = "alice", password = "correct horse battery" }))
            .ExpectAsync(HttpStatusCode.Created);
        await using var client = await GatewayClient.IdentifyAsync(server, account.GetProperty("token").GetString()!);

        var stopping = server.DisposeAsync().AsTask();
        var reconnect = await client.NextAsync(f => f.Op == 7);

        Assert.Equal(7, reconnect.Op);
        await stopping;
    }
}

public abstract class GatewayTimeoutTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnSqlite() : GatewayTimeoutTests(DatabaseProvider.Sqlite);

    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Gateway:HeartbeatIntervalMs"] = "400",
        ["Gateway:HeartbeatGraceMs"] = "400",
        ["Gateway:IdentifyTimeout"] = "00:00:02",
    };

    [Fact]
    public async Task A_connection_that_stops_heartbeating_is_closed_and_goes_offline()
    {
        await SetUpCommunityAsync();
        await using var alice = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        for (var i = 0; i < 3; i++)
        {
            // Alice keeps heartbeating; bob does not.
            await alice.SendAsync(new { op = 1, d = alice.LastSeq });
            await Task.Delay(150, Cancel);
        }
        var bob = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        await alice.DispatchAsync("PRESENCE_UPDATE", d => d.GetProperty("status").GetString() == "online");
        var beats = Task.Run(async () =>
        {
            while (alice.CloseStatus is null && !Cancel.IsCancellationRequested)
            {
                await alice.SendAsync(new { op = 1, d = alice.LastSeq });
                await Task.Delay(200, Cancel);
            }
        }, Cancel);

        Assert.Equal(4009, await bob.ClosedAsync(TimeSpan.FromSeconds(5)));
        var offline = await alice.DispatchAsync("PRESENCE_UPDATE", d => d.GetProperty("status").GetString() == "offline");
        Assert.Equal(Bob.UserId, offline.D.GetProperty("user").GetProperty("id").GetString());
        await bob.DisposeAsync();
    }

    [Fact]
    public async Task A_connection_that_never_identifies_is_closed()
    {
        await SetUpCommunityAsync();
        await using var idle = await GatewayClient.ConnectAsync(Server);

        Assert.Equal(4009, await idle.ClosedAsync(TimeSpan.FromSeconds(6)));
    }
}
