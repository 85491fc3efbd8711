using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// What the audit log records, in Discord's event numbers and shapes: new values only on create,
/// old values only on delete, <c>$add</c>/<c>$remove</c> as <c>[{id, name}]</c>.
/// </summary>
public abstract class AuditLogTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : AuditLogTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : AuditLogTests(DatabaseProvider.Sqlite);

    private async Task<List<JsonElement>> EntriesAsync(int action) =>
        (await Get(AliceHttp, $"guilds/{GuildId}/audit-logs?action_type={action}")).GetProperty("audit_log_entries").EnumerateArray().ToList();

    private static JsonElement Change(JsonElement entry, string key) =>
        Assert.Single(entry.GetProperty("changes").EnumerateArray(), c => c.GetProperty("key").GetString() == key);

    private static bool Has(JsonElement change, string property) => change.TryGetProperty(property, out _);

    private static void OnlyNewValues(JsonElement entry) =>
        Assert.All(entry.GetProperty("changes").EnumerateArray(), c => Assert.True(!Has(c, "old_value") && Has(c, "new_value"), c.ToString()));

    private static void OnlyOldValues(JsonElement entry) =>
        Assert.All(entry.GetProperty("changes").EnumerateArray(), c => Assert.True(Has(c, "old_value") && !Has(c, "new_value"), c.ToString()));

    [Fact]
    public async Task Channel_changes_are_recorded_as_discord_records_them()
    {
        await SetUpCommunityAsync();
        var voiceId = (await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", new { name = "Raid", type = 2 })).ExpectAsync(HttpStatusCode.Created))
            .GetProperty("id").GetString();

        var create = Assert.Single(await EntriesAsync(10), e => e.GetProperty("target_id").GetString() == voiceId);
        Assert.Equal(Alice.UserId, create.GetProperty("user_id").GetString());
        OnlyNewValues(create);
        Assert.Equal(2, Change(create, "type").GetProperty("new_value").GetInt32());
        Assert.Equal("Raid", Change(create, "name").GetProperty("new_value").GetString());

        await (await AliceHttp.PatchJsonAsync($"channels/{voiceId}", new { position = 7, nsfw = true, rtc_region = "eu" })).ExpectAsync(HttpStatusCode.OK);
        var update = Assert.Single(await EntriesAsync(11));
        Assert.Equal(voiceId, update.GetProperty("target_id").GetString());
        Assert.Equal(7, Change(update, "position").GetProperty("new_value").GetInt32());
        Assert.False(Change(update, "nsfw").GetProperty("old_value").GetBoolean());
        Assert.True(Change(update, "nsfw").GetProperty("new_value").GetBoolean());
        Assert.Equal("eu", Change(update, "rtc_region").GetProperty("new_value").GetString());
        Assert.False(Has(Change(update, "rtc_region"), "old_value"));

        // Overwrites replaced through PATCH /channels/{id}: one entry per overwrite created, changed, removed.
        var raiders = await CreateRoleAsync("raiders", "0");
        await (await AliceHttp.PatchJsonAsync($"channels/{GeneralId}", new
        {
            permission_overwrites = new[] { new { id = GuildId, type = 0, allow = "0", deny = "2048" }, new { id = raiders, type = 0, allow = "2048", deny = "0" } },
        })).ExpectAsync(HttpStatusCode.OK);
        await (await AliceHttp.PatchJsonAsync($"channels/{GeneralId}", new
        {
            permission_overwrites = new[] { new { id = GuildId, type = 0, allow = "0", deny = "2112" } },
        })).ExpectAsync(HttpStatusCode.OK);
        var created = await EntriesAsync(13);
        Assert.Equal(2, created.Count);
        var forRaiders = Assert.Single(created, e => e.GetProperty("options").GetProperty("id").GetString() == raiders);
        Assert.Equal(GeneralId, forRaiders.GetProperty("target_id").GetString());
        Assert.Equal("0", forRaiders.GetProperty("options").GetProperty("type").GetString());
        Assert.Equal("raiders", forRaiders.GetProperty("options").GetProperty("role_name").GetString());
        OnlyNewValues(forRaiders);
        Assert.Equal("2048", Change(forRaiders, "allow").GetProperty("new_value").GetString());
        var changed = Assert.Single(await EntriesAsync(14));
        Assert.Equal(GuildId, changed.GetProperty("options").GetProperty("id").GetString());
        Assert.Equal("2048", Change(changed, "deny").GetProperty("old_value").GetString());
        Assert.Equal("2112", Change(changed, "deny").GetProperty("new_value").GetString());
        var removed = Assert.Single(await EntriesAsync(15));
        Assert.Equal(raiders, removed.GetProperty("options").GetProperty("id").GetString());
        OnlyOldValues(removed);
        Assert.Equal("2048", Change(removed, "allow").GetProperty("old_value").GetString());

        // Reordering is recorded too, once per channel that moved.
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/channels", new object[] { new { id = voiceId, position = 2 } })).ExpectAsync(HttpStatusCode.NoContent);
        var moved = (await EntriesAsync(11))[0];
        Assert.Equal(voiceId, moved.GetProperty("target_id").GetString());
        Assert.Equal(7, Change(moved, "position").GetProperty("old_value").GetInt32());
        Assert.Equal(2, Change(moved, "position").GetProperty("new_value").GetInt32());

        await (await AliceHttp.DeleteAsync($"channels/{voiceId}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        var deleted = Assert.Single(await EntriesAsync(12));
        OnlyOldValues(deleted);
        Assert.Equal("Raid", Change(deleted, "name").GetProperty("old_value").GetString());
    }

    [Fact]
    public async Task Role_and_member_changes_are_recorded_as_discord_records_them()
    {
        await SetUpCommunityAsync();
        var alpha = await CreateRoleAsync("alpha", "0");
        var beta = await CreateRoleAsync("beta", "0");

        var created = Assert.Single(await EntriesAsync(30), e => e.GetProperty("target_id").GetString() == alpha);
        OnlyNewValues(created);
        Assert.Equal("alpha", Change(created, "name").GetProperty("new_value").GetString());
        Assert.Equal("0", Change(created, "permissions").GetProperty("new_value").GetString());

        // New roles go to the bottom: beta is at 1, alpha at 2. Moving beta up is recorded for beta only.
        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/roles", new object[] { new { id = beta, position = 3 } })).ExpectAsync(HttpStatusCode.OK);
        var moved = Assert.Single(await EntriesAsync(31));
        Assert.Equal(beta, moved.GetProperty("target_id").GetString());
        Assert.Equal(1, Change(moved, "position").GetProperty("old_value").GetInt32());
        Assert.Equal(2, Change(moved, "position").GetProperty("new_value").GetInt32());

        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { nick = "Robert", mute = true, roles = new[] { alpha } })).ExpectAsync(HttpStatusCode.OK);
        var update = Assert.Single(await EntriesAsync(24));
        Assert.Equal(Bob.UserId, update.GetProperty("target_id").GetString());
        Assert.Equal("Robert", Change(update, "nick").GetProperty("new_value").GetString());
        Assert.False(Has(Change(update, "nick"), "old_value"));
        Assert.False(Change(update, "mute").GetProperty("old_value").GetBoolean());
        Assert.True(Change(update, "mute").GetProperty("new_value").GetBoolean());
        var added = Assert.Single(await EntriesAsync(25));
        Assert.Single(added.GetProperty("changes").EnumerateArray());
        var role = Assert.Single(Change(added, "$add").GetProperty("new_value").EnumerateArray());
        Assert.Equal(alpha, role.GetProperty("id").GetString());
        Assert.Equal("alpha", role.GetProperty("name").GetString());

        await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}/members/{Bob.UserId}", new { roles = new[] { beta } })).ExpectAsync(HttpStatusCode.OK);
        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}/members/{Bob.UserId}/roles/{beta}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        var entries = await EntriesAsync(25);
        Assert.Equal(3, entries.Count);
        var swapped = entries[1];
        Assert.Equal([beta], Change(swapped, "$add").GetProperty("new_value").EnumerateArray().Select(r => r.GetProperty("id").GetString()));
        Assert.Equal(["alpha"], Change(swapped, "$remove").GetProperty("new_value").EnumerateArray().Select(r => r.GetProperty("name").GetString()));
        var taken = Assert.Single(Change(entries[0], "$remove").GetProperty("new_value").EnumerateArray());
        Assert.Equal(beta, taken.GetProperty("id").GetString());
        Assert.Equal("beta", taken.GetProperty("name").GetString());
    }

    [Fact]
    public async Task Invites_and_bulk_deletes_are_recorded_as_discord_records_them()
    {
        await SetUpCommunityAsync();
        var code = await InviteAsync(new { max_age = 600, max_uses = 3, unique = true });

        var create = Assert.Single(await EntriesAsync(40), e => Change(e, "code").GetProperty("new_value").GetString() == code);
        OnlyNewValues(create);
        Assert.Equal(GeneralId, Change(create, "channel_id").GetProperty("new_value").GetString());
        Assert.Equal(Alice.UserId, Change(create, "inviter_id").GetProperty("new_value").GetString());
        Assert.Equal(3, Change(create, "max_uses").GetProperty("new_value").GetInt32());
        Assert.Equal(600, Change(create, "max_age").GetProperty("new_value").GetInt32());
        Assert.False(Change(create, "temporary").GetProperty("new_value").GetBoolean());

        await (await AliceHttp.DeleteAsync($"invites/{code}", Cancel)).ExpectAsync(HttpStatusCode.OK);
        var delete = Assert.Single(await EntriesAsync(42));
        OnlyOldValues(delete);
        Assert.Equal(code, Change(delete, "code").GetProperty("old_value").GetString());
        Assert.Equal(3, Change(delete, "max_uses").GetProperty("old_value").GetInt32());

        var ids = new List<string>();
        foreach (var content in new[] { "one", "two", "three" })
            ids.Add((await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content })).ExpectAsync(HttpStatusCode.OK)).GetProperty("id").GetString()!);
        await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages/bulk-delete", new { messages = ids })).ExpectAsync(HttpStatusCode.NoContent);
        var bulk = Assert.Single(await EntriesAsync(73));
        Assert.Equal(Alice.UserId, bulk.GetProperty("user_id").GetString());
        Assert.Equal(GeneralId, bulk.GetProperty("target_id").GetString());
        Assert.Equal("3", bulk.GetProperty("options").GetProperty("count").GetString());
    }
}
