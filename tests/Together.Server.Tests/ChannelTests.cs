using Together.Data;

namespace Together.Server.Tests;

public abstract class ChannelTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : ChannelTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : ChannelTests(DatabaseProvider.Sqlite);

    private async Task<JsonElement> CreateChannelAsync(object body) =>
        await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", body)).ExpectAsync(HttpStatusCode.Created);

    [Fact]
    public async Task Channels_are_created_with_discords_rules()
    {
        await SetUpCommunityAsync();

        var text = await CreateChannelAsync(new { name = "Clip Sharing", topic = "best plays", rate_limit_per_user = 10 });
        var voice = await CreateChannelAsync(new { name = "Raid Night", type = 2, bitrate = 96000, user_limit = 10 });
        var category = await CreateChannelAsync(new { name = "Games", type = 4 });
        var inCategory = await CreateChannelAsync(new { name = "valorant", parent_id = category.GetProperty("id").GetString() });

        Assert.Equal("clip-sharing", text.GetProperty("name").GetString());
        Assert.Equal("best plays", text.GetProperty("topic").GetString());
        Assert.Equal(10, text.GetProperty("rate_limit_per_user").GetInt32());
        Assert.False(text.TryGetProperty("bitrate", out _));
        Assert.Equal("Raid Night", voice.GetProperty("name").GetString());
        Assert.Equal(96000, voice.GetProperty("bitrate").GetInt32());
        Assert.Equal(10, voice.GetProperty("user_limit").GetInt32());
        Assert.Equal(category.GetProperty("id").GetString(), inCategory.GetProperty("parent_id").GetString());
        Assert.Equal(GuildId, text.GetProperty("guild_id").GetString());
    }

    [Theory]
    [InlineData("""{"name": ""}""", "name")]
    [InlineData("""{"name": "x", "type": 5}""", "type")]
    [InlineData("""{"name": "v", "type": 2, "bitrate": 1000}""", "bitrate")]
    [InlineData("""{"name": "v", "type": 2, "user_limit": 100}""", "user_limit")]
    [InlineData("""{"name": "t", "rate_limit_per_user": 99999}""", "rate_limit_per_user")]
    [InlineData("""{"name": "t", "parent_id": "123"}""", "parent_id")]
    public async Task Invalid_channel_fields_are_refused(string body, string field)
    {
        await SetUpCommunityAsync();

        var error = await Error(await AliceHttp.SendRawAsync(HttpMethod.Post, $"guilds/{GuildId}/channels", body), HttpStatusCode.BadRequest, 50035);

        Assert.True(error.GetProperty("errors").TryGetProperty(field, out _), error.ToString());
    }

    [Fact]
    public async Task A_private_channel_is_invisible_to_those_without_the_role()
    {
        await SetUpCommunityAsync();
        var mods = await CreateRoleAsync("mods", "0");
        var secret = await CreateChannelAsync(new
        {
            name = "mod-chat",
            permission_overwrites = new object[]
            {
                new { id = GuildId, type = 0, deny = "1024" },
                new { id = mods, type = 0, allow = "1024" },
            },
        });
        var secretId = secret.GetProperty("id").GetString();

        await Error(await BobHttp.GetAsync($"channels/{secretId}", Cancel), HttpStatusCode.Forbidden, 50001);
        Assert.DoesNotContain((await Get(BobHttp, $"guilds/{GuildId}/channels")).EnumerateArray(), c => c.GetProperty("id").GetString() == secretId);

        await GiveRoleAsync(Bob.UserId, mods);
        await Get(BobHttp, $"channels/{secretId}");
        Assert.Contains((await Get(BobHttp, $"guilds/{GuildId}/channels")).EnumerateArray(), c => c.GetProperty("id").GetString() == secretId);
    }

    [Fact]
    public async Task Modifying_clears_with_null_and_keeps_what_is_left_out()
    {
        await SetUpCommunityAsync();
        var category = await CreateChannelAsync(new { name = "Games", type = 4 });
        var channel = await CreateChannelAsync(new { name = "lfg", topic = "looking for group", parent_id = category.GetProperty("id").GetString() });
        var id = channel.GetProperty("id").GetString();

        var renamed = await (await AliceHttp.PatchJsonAsync($"channels/{id}", new { name = "Looking For Group" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("looking-for-group", renamed.GetProperty("name").GetString());
        Assert.Equal("looking for group", renamed.GetProperty("topic").GetString());
        Assert.Equal(category.GetProperty("id").GetString(), renamed.GetProperty("parent_id").GetString());

        var moved = await (await AliceHttp.SendRawAsync(HttpMethod.Patch, $"channels/{id}", """{"parent_id": null, "topic": null}""")).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, moved.GetProperty("parent_id").ValueKind);
        Assert.Equal(JsonValueKind.Null, moved.GetProperty("topic").ValueKind);
        // An empty topic is no topic: null, as Discord answers, and still written so merging clients see it go.
        await (await AliceHttp.PatchJsonAsync($"channels/{id}", new { topic = "back again" })).ExpectAsync(HttpStatusCode.OK);
        var emptied = await (await AliceHttp.PatchJsonAsync($"channels/{id}", new { topic = "" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, emptied.GetProperty("topic").ValueKind);
        Assert.Equal(JsonValueKind.Null, (await CreateChannelAsync(new { name = "no-topic", topic = "" })).GetProperty("topic").ValueKind);
        await Error(await BobHttp.PatchJsonAsync($"channels/{id}", new { name = "mine" }), HttpStatusCode.Forbidden, 50013);
    }

    [Fact]
    public async Task Deleting_returns_the_channel_and_a_deleted_category_frees_its_children()
    {
        await SetUpCommunityAsync();
        var category = await CreateChannelAsync(new { name = "Old", type = 4 });
        var child = await CreateChannelAsync(new { name = "archive", parent_id = category.GetProperty("id").GetString() });

        await Error(await BobHttp.DeleteAsync($"channels/{category.GetProperty("id").GetString()}", Cancel), HttpStatusCode.Forbidden, 50013);
        var deleted = await (await AliceHttp.DeleteAsync($"channels/{category.GetProperty("id").GetString()}", Cancel)).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("Old", deleted.GetProperty("name").GetString());
        var orphan = await Get(AliceHttp, $"channels/{child.GetProperty("id").GetString()}");
        Assert.Equal(JsonValueKind.Null, orphan.GetProperty("parent_id").ValueKind);
        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, (await Get(AliceHttp, $"guilds/{GuildId}")).GetProperty("system_channel_id").ValueKind);
        var log = await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=12");
        Assert.Equal(2, log.GetProperty("audit_log_entries").GetArrayLength());
    }

    [Fact]
    public async Task Channels_can_be_reordered_and_moved_between_categories()
    {
        await SetUpCommunityAsync();
        var channels = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().ToList();
        var voiceCategory = channels[1].GetProperty("id").GetString();
        var extra = await CreateChannelAsync(new { name = "second" });

        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[]
        {
            new { id = extra.GetProperty("id").GetString(), position = 0, parent_id = voiceCategory, lock_permissions = true },
            new { id = GeneralId, position = 5 },
        })).ExpectAsync(HttpStatusCode.NoContent);

        var moved = await Get(AliceHttp, $"channels/{extra.GetProperty("id").GetString()}");
        Assert.Equal(voiceCategory, moved.GetProperty("parent_id").GetString());
        Assert.Equal(5, (await Get(AliceHttp, $"channels/{GeneralId}")).GetProperty("position").GetInt32());
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = GeneralId, position = 1 } }), HttpStatusCode.Forbidden, 50013);
        await Error(await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = "42", position = 1 } }), HttpStatusCode.BadRequest, 50035);
    }

    [Fact]
    public async Task Reordering_moves_only_visible_channels_and_syncing_overwrites_needs_manage_roles()
    {
        await SetUpCommunityAsync();
        var channels = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().ToList();
        var textCategory = channels[0].GetProperty("id").GetString();
        var voiceCategory = channels[1].GetProperty("id").GetString();
        await GiveRoleAsync(Bob.UserId, await CreateRoleAsync("channel managers", "16"));
        var hidden = new[] { new { id = Bob.UserId, type = 1, deny = "1024" } };
        var secret = (await CreateChannelAsync(new { name = "secret", position = 3, permission_overwrites = hidden })).GetProperty("id").GetString();
        var staff = (await CreateChannelAsync(new { name = "Staff", type = 4, permission_overwrites = hidden })).GetProperty("id").GetString();

        // What bob cannot see he cannot move, nor move anything into: Missing Access, as for PATCH /channels/{id}.
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = secret, position = 9 } }), HttpStatusCode.Forbidden, 50001);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = GeneralId, parent_id = staff } }), HttpStatusCode.Forbidden, 50001);
        Assert.Equal(3, (await Get(AliceHttp, $"channels/{secret}")).GetProperty("position").GetInt32());
        Assert.Equal(textCategory, (await Get(AliceHttp, $"channels/{GeneralId}")).GetProperty("parent_id").GetString());

        // lock_permissions rewrites the channel's overwrites: MANAGE_CHANNELS alone is not enough.
        await (await AliceHttp.PutAsJsonAsync($"channels/{voiceCategory}/permissions/{GuildId}", new { type = 0, deny = "64" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await BobHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = GeneralId, parent_id = voiceCategory, lock_permissions = true } }), HttpStatusCode.Forbidden, 50013);
        var general = await Get(AliceHttp, $"channels/{GeneralId}");
        Assert.Equal(textCategory, general.GetProperty("parent_id").GetString());
        Assert.Empty(general.GetProperty("permission_overwrites").EnumerateArray());

        // Moving without syncing is his to do; with MANAGE_ROLES he may sync as well.
        await (await BobHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = GeneralId, parent_id = voiceCategory } })).ExpectAsync(HttpStatusCode.NoContent);
        general = await Get(AliceHttp, $"channels/{GeneralId}");
        Assert.Equal(voiceCategory, general.GetProperty("parent_id").GetString());
        Assert.Empty(general.GetProperty("permission_overwrites").EnumerateArray());
        await GiveRoleAsync(Bob.UserId, await CreateRoleAsync("role managers", "268435456"));
        await (await BobHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = GeneralId, parent_id = voiceCategory, lock_permissions = true } })).ExpectAsync(HttpStatusCode.NoContent);
        var synced = Assert.Single((await Get(AliceHttp, $"channels/{GeneralId}")).GetProperty("permission_overwrites").EnumerateArray());
        Assert.Equal(GuildId, synced.GetProperty("id").GetString());
        Assert.Equal("64", synced.GetProperty("deny").GetString());
        var entry = Assert.Single((await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type=13&user_id={Bob.UserId}")).GetProperty("audit_log_entries").EnumerateArray());
        Assert.Equal(GeneralId, entry.GetProperty("target_id").GetString());
    }

    [Fact]
    public async Task Overwrites_can_be_set_and_removed_and_only_hand_out_what_the_caller_holds()
    {
        await SetUpCommunityAsync();
        var helpers = await CreateRoleAsync("helpers", (0x10000000 | 0x400 | 0x800).ToString(System.Globalization.CultureInfo.InvariantCulture));
        await GiveRoleAsync(Bob.UserId, helpers);

        // Bob holds MANAGE_ROLES, VIEW and SEND: he can deny SEND to @everyone, not grant MANAGE_MESSAGES.
        await (await BobHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{GuildId}", new { type = 0, deny = "2048" }, Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Error(await BobHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Carol.UserId}", new { type = 1, allow = "8192" }, Cancel), HttpStatusCode.Forbidden, 50013);
        await Error(await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{Carol.UserId}", new { type = 1, allow = "1024" }, Cancel), HttpStatusCode.BadRequest, 50035);
        await Error(await AliceHttp.PutAsJsonAsync($"channels/{GeneralId}/permissions/{GuildId}", new { type = 0, allow = "8" }, Cancel), HttpStatusCode.BadRequest, 50035);

        var overwrites = (await Get(AliceHttp, $"channels/{GeneralId}")).GetProperty("permission_overwrites").EnumerateArray().ToList();
        var overwrite = Assert.Single(overwrites);
        Assert.Equal(GuildId, overwrite.GetProperty("id").GetString());
        Assert.Equal("2048", overwrite.GetProperty("deny").GetString());
        Assert.Equal("0", overwrite.GetProperty("allow").GetString());

        await (await AliceHttp.DeleteAsync($"channels/{GeneralId}/permissions/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Empty((await Get(AliceHttp, $"channels/{GeneralId}")).GetProperty("permission_overwrites").EnumerateArray());
        var log = await Get(AliceHttp, $"guilds/{GuildId}/audit-logs");
        Assert.Contains(log.GetProperty("audit_log_entries").EnumerateArray(), e => e.GetProperty("action_type").GetInt32() == 13);
        Assert.Contains(log.GetProperty("audit_log_entries").EnumerateArray(), e => e.GetProperty("action_type").GetInt32() == 15);
    }
}
