using Microsoft.Extensions.DependencyInjection;
using Together.Data;

namespace Together.Server.Tests;

public abstract class SearchTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : SearchTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : SearchTests(DatabaseProvider.Sqlite);

    private async Task<string> SayAsync(HttpClient who, string content, string? channel = null) =>
        (await (await who.PostJsonAsync($"channels/{channel ?? GeneralId}/messages", new { content })).ExpectAsync(HttpStatusCode.OK))
            .GetProperty("id").GetString()!;

    private async Task<(int Total, List<string> Ids)> SearchAsync(HttpClient who, string query)
    {
        var result = await Get(who, $"guilds/{GuildId}/messages/search?{query}");
        return (result.GetProperty("total_results").GetInt32(),
            result.GetProperty("messages").EnumerateArray().Select(hit => Assert.Single(hit.EnumerateArray()).GetProperty("id").GetString()!).ToList());
    }

    [Fact]
    public async Task Words_are_found_in_channels_the_searcher_can_read_only()
    {
        await SetUpCommunityAsync();
        var secret = await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", new
        {
            name = "staff",
            permission_overwrites = new[] { new { id = GuildId, type = 0, deny = "1024" } },
        })).ExpectAsync(HttpStatusCode.Created);
        var a = await SayAsync(AliceHttp, "GG ez, what a Clutch");
        var b = await SayAsync(BobHttp, "clutch play https://clips.example/1");
        await SayAsync(BobHttp, "nothing to see");
        var hidden = await SayAsync(AliceHttp, "staff only clutch", secret.GetProperty("id").GetString());

        var (total, ids) = await SearchAsync(BobHttp, "content=clutch");
        Assert.Equal(2, total);
        Assert.Equal([b, a], ids);
        var (aliceTotal, aliceIds) = await SearchAsync(AliceHttp, "content=clutch");
        Assert.Equal(3, aliceTotal);
        Assert.Equal(hidden, aliceIds[0]);
        Assert.Equal([a], (await SearchAsync(BobHttp, "content=gg%20clutch")).Ids);
        Assert.Equal([a, b], (await SearchAsync(BobHttp, "content=clutch&sort_order=asc")).Ids);
        await Error(await CarolHttp.GetAsync($"guilds/{GuildId}/messages/search?content=clutch", Cancel), HttpStatusCode.Forbidden, 50001);
    }

    private async Task<string> UploadAsync(HttpClient who, string content, string fileName, byte[] file)
    {
        using var form = new MultipartFormDataContent
        {
            { new StringContent(JsonSerializer.Serialize(new { content }), System.Text.Encoding.UTF8, "application/json"), "payload_json" },
            { new ByteArrayContent(file), "files[0]", fileName },
        };
        return (await (await who.PostAsync($"channels/{GeneralId}/messages", form, Cancel)).ExpectAsync(HttpStatusCode.OK)).GetProperty("id").GetString()!;
    }

    [Fact]
    public async Task Has_file_and_has_image_find_messages_by_their_attachments()
    {
        await SetUpCommunityAsync();
        await SayAsync(BobHttp, "just words https://example.com");
        var notes = await UploadAsync(BobHttp, "raid notes", "notes.txt", "first line\n"u8.ToArray());
        var shot = await UploadAsync(AliceHttp, "raid screenshot", "shot.png", TestImages.Encode(8, 8, SkiaSharp.SKEncodedImageFormat.Png));

        Assert.Equal([shot, notes], (await SearchAsync(BobHttp, "has=file")).Ids);
        Assert.Equal([shot], (await SearchAsync(BobHttp, "has=image")).Ids);
        Assert.Equal([shot], (await SearchAsync(BobHttp, "has=file&has=image")).Ids);
        Assert.Equal([notes], (await SearchAsync(BobHttp, $"has=file&author_id={Bob.UserId}")).Ids);
        Assert.Equal([shot], (await SearchAsync(BobHttp, "content=raid&has=image")).Ids);
        Assert.Empty((await SearchAsync(BobHttp, "has=file&has=link")).Ids);
    }

    [Fact]
    public async Task Filters_combine_authors_channels_mentions_links_and_id_ranges()
    {
        await SetUpCommunityAsync();
        var other = (await (await AliceHttp.PostJsonAsync($"guilds/{GuildId}/channels", new { name = "offtopic" })).ExpectAsync(HttpStatusCode.Created))
            .GetProperty("id").GetString()!;
        var first = await SayAsync(AliceHttp, "first");
        var link = await SayAsync(BobHttp, "look https://example.com");
        var mention = await SayAsync(BobHttp, $"hey <@{Alice.UserId}>");
        var elsewhere = await SayAsync(BobHttp, "over here", other);

        Assert.Equal([elsewhere, mention, link], (await SearchAsync(AliceHttp, $"author_id={Bob.UserId}")).Ids);
        Assert.Equal([elsewhere], (await SearchAsync(AliceHttp, $"channel_id={other}")).Ids);
        Assert.Equal([mention], (await SearchAsync(AliceHttp, $"mentions={Alice.UserId}")).Ids);
        Assert.Equal([link], (await SearchAsync(AliceHttp, "has=link")).Ids);
        Assert.Equal([mention, link], (await SearchAsync(AliceHttp, $"min_id={first}&max_id={elsewhere}")).Ids);
        Assert.Equal([mention, link], (await SearchAsync(AliceHttp, $"after={first}&before={elsewhere}")).Ids);
        Assert.Empty((await SearchAsync(AliceHttp, "has=file")).Ids);
        var (total, page) = await SearchAsync(AliceHttp, "limit=2&offset=1");
        Assert.Equal(4, total);
        Assert.Equal([mention, link], page);
    }

    [Fact]
    public async Task Edits_and_deletes_are_reflected()
    {
        await SetUpCommunityAsync();
        var id = await SayAsync(BobHttp, "typo teh");
        await (await BobHttp.PatchJsonAsync($"channels/{GeneralId}/messages/{id}", new { content = "typo the fixed" })).ExpectAsync(HttpStatusCode.OK);

        Assert.Empty((await SearchAsync(BobHttp, "content=teh")).Ids);
        Assert.Equal([id], (await SearchAsync(BobHttp, "content=fixed")).Ids);
        await (await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{id}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        Assert.Empty((await SearchAsync(BobHttp, "content=fixed")).Ids);
    }

    [Fact]
    public async Task Counting_stops_at_the_last_result_a_client_can_page_to()
    {
        await SetUpCommunityAsync();
        // 10,050 hits, written straight to the database (through the API this would take minutes).
        await using (var scope = Server.Services.CreateAsyncScope())
        {
            var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
            var ids = scope.ServiceProvider.GetRequiredService<Together.Data.Snowflakes.SnowflakeGenerator>();
            long Long(string id) => long.Parse(id, System.Globalization.CultureInfo.InvariantCulture);
            db.Messages.AddRange(Enumerable.Range(0, 10_050).Select(i => new Together.Data.Entities.Message
            {
                Id = ids.Next(), ChannelId = Long(GeneralId), GuildId = Long(GuildId), AuthorId = Long(Alice.UserId), Content = $"flood {i}",
            }));
            await db.SaveChangesAsync(Cancel);
        }
        var few = await SayAsync(BobHttp, "flood trickle");

        var (total, newest) = await SearchAsync(BobHttp, "content=flood");
        Assert.Equal(10_000, total); // not 10,051: counting stops where paging does
        Assert.Equal(25, newest.Count);
        Assert.Equal(few, newest[0]);
        var (_, last) = await SearchAsync(BobHttp, "content=flood&offset=9975");
        Assert.Equal(25, last.Count);
        var (exact, only) = await SearchAsync(BobHttp, "content=flood%20trickle");
        Assert.Equal(1, exact);
        Assert.Equal([few], only);
    }

    [Theory]
    [InlineData("%22unbalanced")]
    [InlineData("clutch%20OR%20")]
    [InlineData("*")]
    [InlineData("NEAR(a%20b)")]
    [InlineData("%27%3B%20DROP%20TABLE%20messages%3B%20--")]
    [InlineData("-clutch")]
    [InlineData("%3A%3A%3A")]
    public async Task Search_syntax_in_user_input_never_breaks_the_query(string content)
    {
        await SetUpCommunityAsync();
        await SayAsync(BobHttp, "clutch");

        var result = await Get(BobHttp, $"guilds/{GuildId}/messages/search?content={content}");

        Assert.True(result.GetProperty("total_results").GetInt32() >= 0);
        Assert.Single((await SearchAsync(BobHttp, "content=clutch")).Ids);
    }

    [Fact]
    public async Task Bad_search_parameters_are_form_errors()
    {
        await SetUpCommunityAsync();

        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/messages/search?limit=26", Cancel), HttpStatusCode.BadRequest, 50035);
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/messages/search?offset=-1", Cancel), HttpStatusCode.BadRequest, 50035);
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/messages/search?has=cats", Cancel), HttpStatusCode.BadRequest, 50035);
        await Error(await BobHttp.GetAsync($"guilds/{GuildId}/messages/search?author_id=abc", Cancel), HttpStatusCode.BadRequest, 50035);
    }
}
