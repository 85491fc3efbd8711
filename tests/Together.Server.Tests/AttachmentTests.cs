using System.Net.Http.Headers;
using Microsoft.Extensions.DependencyInjection;
using SkiaSharp;
using Together.Data;
using Together.Server.Features.Files;
using Together.TestSupport;

namespace Together.Server.Tests;

/// <summary>Uploads with messages, how files are served, who may fetch them, and clean-up.</summary>
public abstract class AttachmentTests(DatabaseProvider provider, bool inS3 = false) : CommunityTest(provider)
{
    public sealed class OnPostgres() : AttachmentTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : AttachmentTests(DatabaseProvider.Sqlite);

    /// <summary>The same stories with files in an S3-compatible bucket (a real s3rver) instead of on disk.</summary>
    public sealed class InS3() : AttachmentTests(DatabaseProvider.Postgres, inS3: true);

    // A bucket of its own per test, created by the server.
    private readonly string _bucket = $"together-{Guid.NewGuid():N}";

    protected override IDictionary<string, string?> Settings
    {
        get
        {
            var settings = new Dictionary<string, string?>
            {
                ["Files:MaxUploadBytes"] = "1048576",
                ["Files:MaxFilesPerMessage"] = "3",
                ["Files:OrphanGrace"] = "00:00:00",
            };
            if (inS3)
            {
                settings["Files:Store"] = "S3";
                settings["Files:S3:ServiceUrl"] = S3Server.Endpoint;
                settings["Files:S3:Bucket"] = _bucket;
                settings["Files:S3:AccessKey"] = S3Server.AccessKey;
                settings["Files:S3:SecretKey"] = S3Server.SecretKey;
            }
            return settings;
        }
    }

    private IFileStore Store => Server.Services.GetRequiredService<IFileStore>();

    private async Task<List<StoredName>> ListAsync(string prefix)
    {
        var names = new List<StoredName>();
        await foreach (var item in Store.ListAsync(prefix, Cancel))
            names.Add(item);
        return names;
    }

    private async Task<int> BlobCountAsync() => (await ListAsync(StoreNames.Blobs)).Count;

    private string[] Temps() => Directory.GetFiles(Server.Services.GetRequiredService<UploadTemp>().Directory);

    private static MultipartFormDataContent Form(object? payload, params (string Name, byte[] Content, string? ClaimedType)[] files)
    {
        var form = new MultipartFormDataContent();
        if (payload is not null)
            form.Add(new StringContent(JsonSerializer.Serialize(payload, Api.Json), System.Text.Encoding.UTF8, "application/json"), "payload_json");
        for (var i = 0; i < files.Length; i++)
        {
            var part = new ByteArrayContent(files[i].Content);
            part.Headers.ContentType = new MediaTypeHeaderValue(files[i].ClaimedType ?? "application/octet-stream");
            form.Add(part, $"files[{i}]", files[i].Name);
        }
        return form;
    }

    private async Task<HttpResponseMessage> UploadAsync(HttpClient who, object? payload, params (string Name, byte[] Content, string? ClaimedType)[] files) =>
        await who.PostAsync($"channels/{GeneralId}/messages", Form(payload, files), Cancel);

    private static JsonElement Attachment(JsonElement message, int index = 0) => message.GetProperty("attachments")[index];

    private static HttpClient Anonymous() => new() { Timeout = TimeSpan.FromSeconds(30) };

    [Fact]
    public async Task Every_kind_of_history_page_carries_each_message_with_its_own_attachments_in_order()
    {
        await SetUpCommunityAsync();
        var text = "x"u8.ToArray();
        var two = await (await UploadAsync(AliceHttp, new { content = "two" }, ("a.txt", text, null), ("b.txt", text, null))).ExpectAsync(HttpStatusCode.OK);
        var none = await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "none" })).ExpectAsync(HttpStatusCode.OK);
        var one = await (await UploadAsync(AliceHttp, new { content = "one" }, ("c.txt", text, null))).ExpectAsync(HttpStatusCode.OK);
        string Id(JsonElement m) => m.GetProperty("id").GetString()!;

        static string Shape(JsonElement page) => string.Join(" | ", page.EnumerateArray().Select(m =>
            m.GetProperty("content").GetString() + ":" + string.Join(",", m.GetProperty("attachments").EnumerateArray().Select(a => a.GetProperty("filename").GetString()))));
        Assert.Equal("one:c.txt | none: | two:a.txt,b.txt", Shape(await Get(BobHttp, $"channels/{GeneralId}/messages")));
        Assert.Equal("none: | two:a.txt,b.txt", Shape(await Get(BobHttp, $"channels/{GeneralId}/messages?before={Id(one)}")));
        Assert.Equal("one:c.txt | none:", Shape(await Get(BobHttp, $"channels/{GeneralId}/messages?after={Id(two)}")));
        Assert.Equal("one:c.txt | none: | two:a.txt,b.txt", Shape(await Get(BobHttp, $"channels/{GeneralId}/messages?around={Id(none)}&limit=3")));
        // A limit counts messages, not attachment rows.
        Assert.Equal("two:a.txt,b.txt", Shape(await Get(BobHttp, $"channels/{GeneralId}/messages?before={Id(none)}&limit=1")));
    }

    [Fact]
    public async Task An_image_and_a_text_file_arrive_with_the_message_for_everyone_who_can_read_it()
    {
        await SetUpCommunityAsync();
        await using var bobGateway = await GatewayClient.IdentifyAsync(Server, Bob.Token);
        var png = TestImages.Encode(300, 200, SKEncodedImageFormat.Png);
        var notes = "first line\nsecond line\n"u8.ToArray();

        var sent = await (await UploadAsync(AliceHttp, new { content = "screens", nonce = "n-1", attachments = new object[] { new { id = 0, description = "the boss fight" }, new { id = "1", filename = "notes.txt" } } },
            ("shot.png", png, "image/png"), ("upload.bin", notes, "text/html"))).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("screens", sent.GetProperty("content").GetString());
        var image = Attachment(sent);
        Assert.Equal("shot.png", image.GetProperty("filename").GetString());
        Assert.Equal("the boss fight", image.GetProperty("description").GetString());
        Assert.Equal("image/png", image.GetProperty("content_type").GetString());
        Assert.Equal(png.Length, image.GetProperty("size").GetInt64());
        Assert.Equal(300, image.GetProperty("width").GetInt32());
        Assert.Equal(200, image.GetProperty("height").GetInt32());
        var text = Attachment(sent, 1);
        Assert.Equal("notes.txt", text.GetProperty("filename").GetString());
        // The client said text/html; the content says plain text.
        Assert.Equal("text/plain; charset=utf-8", text.GetProperty("content_type").GetString());
        Assert.False(text.TryGetProperty("width", out _));

        var created = await bobGateway.NextAsync(f => f.T == "MESSAGE_CREATE");
        Assert.Equal(2, created.D.GetProperty("attachments").GetArrayLength());
        var history = await Get(BobHttp, $"channels/{GeneralId}/messages?limit=1");
        Assert.Equal(image.GetProperty("id").GetString(), Attachment(history[0]).GetProperty("id").GetString());

        using var anonymous = Anonymous();
        var download = await anonymous.GetAsync(Attachment(history[0]).GetProperty("url").GetString(), Cancel);
        Assert.Equal(HttpStatusCode.OK, download.StatusCode);
        Assert.Equal(png, await download.Content.ReadAsByteArrayAsync(Cancel));
        Assert.Equal("image/png", download.Content.Headers.ContentType!.MediaType);
        Assert.Equal("inline", download.Content.Headers.ContentDisposition!.DispositionType);
        Assert.Equal("nosniff", download.Headers.GetValues("X-Content-Type-Options").Single());
        Assert.Contains("sandbox", download.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        Assert.Empty(Temps());
    }

    [Fact]
    public async Task A_disguised_html_page_and_an_svg_are_served_as_downloads_that_cannot_run()
    {
        await SetUpCommunityAsync();
        var html = "<!doctype html><html><body><script>fetch('/api/v10/users/@me')</script></body></html>"u8.ToArray();
        var svg = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"u8.ToArray();
        var sent = await (await UploadAsync(BobHttp, new { content = "look" }, ("cute-cat.png", html, "image/png"), ("logo.svg", svg, "image/svg+xml"))).ExpectAsync(HttpStatusCode.OK);

        using var anonymous = Anonymous();
        foreach (var attachment in sent.GetProperty("attachments").EnumerateArray())
        {
            Assert.Equal("text/plain; charset=utf-8", attachment.GetProperty("content_type").GetString());
            var response = await anonymous.GetAsync(attachment.GetProperty("url").GetString(), Cancel);
            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal("text/plain", response.Content.Headers.ContentType!.MediaType);
            Assert.Equal("attachment", response.Content.Headers.ContentDisposition!.DispositionType);
            Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
            Assert.StartsWith("default-src 'none'", response.Headers.GetValues("Content-Security-Policy").Single(), StringComparison.Ordinal);
        }
    }

    [Fact]
    public async Task Path_traversal_names_never_leave_the_store()
    {
        await SetUpCommunityAsync();
        var sent = await (await UploadAsync(BobHttp, new { content = "x" }, ("../../../../tmp/pwned.txt", "owned"u8.ToArray(), null))).ExpectAsync(HttpStatusCode.OK);

        Assert.Equal("pwned.txt", Attachment(sent).GetProperty("filename").GetString());
        Assert.False(File.Exists("/tmp/pwned.txt") && File.ReadAllText("/tmp/pwned.txt") == "owned");
        var blob = Assert.Single(await ListAsync(StoreNames.Blobs));
        await using var stored = await Store.OpenAsync(blob.Name, Cancel);
        Assert.Equal("owned"u8.ToArray(), await stored!.ReadAllAsync(Cancel));
        if (Store is DiskFileStore disk)
            Assert.Single(Directory.GetFiles(Path.Combine(disk.Root, "blobs"), "*", SearchOption.AllDirectories));
    }

    [Fact]
    public async Task Too_large_or_too_many_files_are_refused_and_nothing_is_half_written()
    {
        await SetUpCommunityAsync();
        var big = new byte[(1024 * 1024) + 1];
        Random.Shared.NextBytes(big);
        var tooLarge = await Error(await UploadAsync(BobHttp, new { content = "big" }, ("ok.txt", "fine"u8.ToArray(), null), ("big.bin", big, null)),
            HttpStatusCode.RequestEntityTooLarge, 40005);
        Assert.Contains("big.bin", tooLarge.GetProperty("message").GetString(), StringComparison.Ordinal);

        var four = Enumerable.Range(0, 4).Select(i => ($"f{i}.txt", new[] { (byte)('a' + i) }, (string?)null)).ToArray();
        var tooMany = await Error(await UploadAsync(BobHttp, new { content = "many" }, four), HttpStatusCode.BadRequest, 50035);
        Assert.Contains("BASE_TYPE_MAX_LENGTH", tooMany.FieldErrorCodes("files"));

        Assert.Equal(0, await BlobCountAsync());
        Assert.Empty(Temps());
        Assert.Equal(0, (await Get(BobHttp, $"channels/{GeneralId}/messages")).GetArrayLength());
    }

    [Fact]
    public async Task Bad_multipart_bodies_get_clear_errors()
    {
        await SetUpCommunityAsync();
        var broken = new StringContent("--xyz\r\nContent-Disposition: form-data; name=\"payload_json\"\r\n\r\n{\"content\":", System.Text.Encoding.UTF8);
        broken.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data; boundary=xyz");
        var response = await BobHttp.PostAsync($"channels/{GeneralId}/messages", broken, Cancel);
        Assert.Equal(HttpStatusCode.BadRequest, response.StatusCode);

        var noBoundary = new StringContent("whatever");
        noBoundary.Headers.ContentType = MediaTypeHeaderValue.Parse("multipart/form-data");
        await Error(await BobHttp.PostAsync($"channels/{GeneralId}/messages", noBoundary, Cancel), HttpStatusCode.BadRequest, 50035);

        var badJson = await UploadAsync(BobHttp, null, ("a.txt", "a"u8.ToArray(), null));
        Assert.Equal(HttpStatusCode.OK, badJson.StatusCode); // files alone are a message

        var form = new MultipartFormDataContent { { new StringContent("{not json"), "payload_json" } };
        await Error(await BobHttp.PostAsync($"channels/{GeneralId}/messages", form, Cancel), HttpStatusCode.BadRequest, 50109);

        var unknownId = await Error(await UploadAsync(BobHttp, new { content = "x", attachments = new[] { new { id = 5 } } }, ("a.txt", "a"u8.ToArray(), null)),
            HttpStatusCode.BadRequest, 50035);
        Assert.Contains("ATTACHMENT_NOT_FOUND", unknownId.FieldErrorCodes("attachments.0.id"));

        var xml = new StringContent("<content>hi</content>", System.Text.Encoding.UTF8, "application/xml");
        Assert.Equal(HttpStatusCode.UnsupportedMediaType, (await BobHttp.PostAsync($"channels/{GeneralId}/messages", xml, Cancel)).StatusCode);
        await Error(await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "" }), HttpStatusCode.BadRequest, 50006);
        Assert.Empty(Temps());
    }

    [Fact]
    public async Task Attach_files_is_required_and_reading_follows_the_channel()
    {
        await SetUpCommunityAsync();
        // @everyone loses ATTACH_FILES (1 << 15) in #general.
        await (await AliceHttp.PutAsync($"channels/{GeneralId}/permissions/{GuildId}",
            JsonContent.Create(new { type = 0, allow = "0", deny = (1L << 15).ToString(System.Globalization.CultureInfo.InvariantCulture) }), Cancel))
            .ExpectAsync(HttpStatusCode.NoContent);
        await Error(await UploadAsync(BobHttp, new { content = "pic" }, ("a.png", TestImages.Encode(4, 4, SKEncodedImageFormat.Png), null)),
            HttpStatusCode.Forbidden, 50013);
        Assert.Equal(0, await BlobCountAsync());
        Assert.Empty(Temps());
        // Text alone is still fine.
        await (await UploadAsync(BobHttp, new { content = "just words" })).ExpectAsync(HttpStatusCode.OK);

        var sent = await (await UploadAsync(AliceHttp, new { content = "mods only" }, ("plan.txt", "secret plan"u8.ToArray(), null))).ExpectAsync(HttpStatusCode.OK);
        var url = new Uri(Attachment(sent).GetProperty("url").GetString()!);
        var bare = url.GetLeftPart(UriPartial.Path);
        using var anonymous = Anonymous();
        // No signature and no token; a signature for another attachment; a stranger's token.
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(bare, Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(url.ToString().Replace("hm=", "hm=0", StringComparison.Ordinal), Cancel)).StatusCode);
        var strangerRequest = new HttpRequestMessage(HttpMethod.Get, bare);
        strangerRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Carol.Token);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.SendAsync(strangerRequest, Cancel)).StatusCode);
        // A member's token works without a signature.
        var memberRequest = new HttpRequestMessage(HttpMethod.Get, bare);
        memberRequest.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Bob.Token);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.SendAsync(memberRequest, Cancel)).StatusCode);

        // refresh-urls: a member gets a fresh URL, a stranger gets nothing.
        var refreshed = await (await BobHttp.PostJsonAsync("attachments/refresh-urls", new { attachment_urls = new[] { url.ToString() } })).ExpectAsync(HttpStatusCode.OK);
        var fresh = refreshed.GetProperty("refreshed_urls")[0].GetProperty("refreshed").GetString();
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(fresh, Cancel)).StatusCode);
        var none = await (await CarolHttp.PostJsonAsync("attachments/refresh-urls", new { attachment_urls = new[] { url.ToString() } })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(0, none.GetProperty("refreshed_urls").GetArrayLength());
    }

    [Fact]
    public async Task Photos_lose_their_location_and_keep_their_orientation()
    {
        await SetUpCommunityAsync();
        var photo = TestImages.JpegWithLocation();
        var sent = await (await UploadAsync(BobHttp, new { content = "where am I" }, ("IMG_0001.jpg", photo, "image/jpeg"))).ExpectAsync(HttpStatusCode.OK);
        // Orientation 6 stands the 40×20 photo up.
        Assert.Equal(20, Attachment(sent).GetProperty("width").GetInt32());
        Assert.Equal(40, Attachment(sent).GetProperty("height").GetInt32());
        using var anonymous = Anonymous();
        var stored = await anonymous.GetByteArrayAsync(Attachment(sent).GetProperty("url").GetString(), Cancel);
        Assert.Equal(photo.Length, stored.Length);
        Assert.True(stored.AsSpan().IndexOf(TestImages.LatitudeSecondsLittleEndian) < 0);
        Assert.True(stored.AsSpan().IndexOf("GPSLatitude"u8) < 0);
        using var codec = SKCodec.Create(new MemoryStream(stored));
        Assert.Equal(SKEncodedOrigin.RightTop, codec.EncodedOrigin);
    }

    [Fact]
    public async Task Thumbnails_are_made_once_and_gifs_stay_animated()
    {
        await SetUpCommunityAsync();
        var big = TestImages.Encode(1600, 900, SKEncodedImageFormat.Jpeg);
        var gif = TestImages.AnimatedGif();
        var sent = await (await UploadAsync(BobHttp, new { content = "pics" }, ("wide.jpg", big, null), ("dance.gif", gif, null))).ExpectAsync(HttpStatusCode.OK);
        using var anonymous = Anonymous();
        var url = Attachment(sent).GetProperty("proxy_url").GetString();

        var thumb = await anonymous.GetAsync(url + "width=400&height=225", Cancel);
        Assert.Equal("image/webp", thumb.Content.Headers.ContentType!.MediaType);
        using (var decoded = SKBitmap.Decode(await thumb.Content.ReadAsByteArrayAsync(Cancel)))
        {
            Assert.Equal(512, decoded.Width);
            Assert.Equal(288, decoded.Height);
        }
        var made = Assert.Single(await ListAsync(StoreNames.Thumbnails));
        await anonymous.GetAsync(url + "width=500", Cancel);
        Assert.Equal(made, Assert.Single(await ListAsync(StoreNames.Thumbnails)));
        // Asking for more than the original gives the original.
        Assert.Equal(big, await anonymous.GetByteArrayAsync(url + "width=4000&height=4000", Cancel));

        var animated = await anonymous.GetAsync(Attachment(sent, 1).GetProperty("url").GetString() + "width=64&height=64", Cancel);
        Assert.Equal("image/gif", animated.Content.Headers.ContentType!.MediaType);
        Assert.Equal(gif, await animated.Content.ReadAsByteArrayAsync(Cancel));
    }

    [Fact]
    public async Task Downloads_resume_with_ranges_and_revalidate_with_etags()
    {
        await SetUpCommunityAsync();
        var clip = new byte[300_000];
        Random.Shared.NextBytes(clip);
        var sent = await (await UploadAsync(BobHttp, new { content = "clip" }, ("clip.bin", clip, null))).ExpectAsync(HttpStatusCode.OK);
        var url = Attachment(sent).GetProperty("url").GetString();
        using var anonymous = Anonymous();

        foreach (var (from, to) in new[] { (0, 99), (150_000, 150_999), (299_990, 299_999) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, url);
            request.Headers.Range = new RangeHeaderValue(from, to);
            var part = await anonymous.SendAsync(request, Cancel);
            Assert.Equal(HttpStatusCode.PartialContent, part.StatusCode);
            Assert.Equal(clip[from..(to + 1)], await part.Content.ReadAsByteArrayAsync(Cancel));
            Assert.Equal(clip.Length, part.Content.Headers.ContentRange!.Length);
        }

        var whole = await anonymous.GetAsync(url, Cancel);
        Assert.Equal(clip, await whole.Content.ReadAsByteArrayAsync(Cancel));
        using var again = new HttpRequestMessage(HttpMethod.Get, url);
        again.Headers.IfNoneMatch.Add(whole.Headers.ETag!);
        Assert.Equal(HttpStatusCode.NotModified, (await anonymous.SendAsync(again, Cancel)).StatusCode);
    }

    [Fact]
    public async Task Deleted_messages_and_guilds_take_their_files_with_them_unless_still_used()
    {
        await SetUpCommunityAsync();
        var shared = "same bytes in two messages"u8.ToArray();
        var first = await (await UploadAsync(BobHttp, new { content = "1" }, ("a.txt", shared, null))).ExpectAsync(HttpStatusCode.OK);
        var second = await (await UploadAsync(BobHttp, new { content = "2" }, ("b.txt", shared, null))).ExpectAsync(HttpStatusCode.OK);
        await (await UploadAsync(AliceHttp, new { content = "3" }, ("c.txt", "alice's own"u8.ToArray(), null))).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(2, await BlobCountAsync()); // content-addressed: the shared file is stored once

        await (await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{first.GetProperty("id").GetString()}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await Task.Delay(300, Cancel);
        Assert.Equal(2, await BlobCountAsync());
        using var anonymous = Anonymous();
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync(Attachment(first).GetProperty("url").GetString(), Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await anonymous.GetAsync(Attachment(second).GetProperty("url").GetString(), Cancel)).StatusCode);

        await (await BobHttp.DeleteAsync($"channels/{GeneralId}/messages/{second.GetProperty("id").GetString()}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await WaitUntilAsync(async () => await BlobCountAsync() == 1);

        await (await AliceHttp.DeleteAsync($"guilds/{GuildId}", Cancel)).ExpectAsync(HttpStatusCode.NoContent);
        await WaitUntilAsync(async () => await BlobCountAsync() == 0);
    }

    [Fact]
    public async Task An_edit_can_remove_attachments_but_not_leave_the_message_empty()
    {
        await SetUpCommunityAsync();
        var sent = await (await UploadAsync(BobHttp, null, ("a.txt", "first"u8.ToArray(), null), ("b.txt", "second"u8.ToArray(), null))).ExpectAsync(HttpStatusCode.OK);
        var path = $"channels/{GeneralId}/messages/{sent.GetProperty("id").GetString()}";
        var keep = Attachment(sent, 1).GetProperty("id").GetString();

        var edited = await (await BobHttp.PatchJsonAsync(path, new { attachments = new[] { new { id = keep } } })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(keep, Assert.Single(edited.GetProperty("attachments").EnumerateArray()).GetProperty("id").GetString());
        Assert.NotEqual(JsonValueKind.Null, edited.GetProperty("edited_timestamp").ValueKind);
        await WaitUntilAsync(async () => await BlobCountAsync() == 1);

        await Error(await BobHttp.PatchJsonAsync(path, new { attachments = Array.Empty<object>() }), HttpStatusCode.BadRequest, 50006);
        await (await BobHttp.PatchJsonAsync(path, new { content = "now with words", attachments = Array.Empty<object>() })).ExpectAsync(HttpStatusCode.OK);
        await WaitUntilAsync(async () => await BlobCountAsync() == 0);
        await Error(await AliceHttp.PatchJsonAsync(path, new { attachments = Array.Empty<object>() }), HttpStatusCode.Forbidden, 50005);
    }

    [Fact]
    public async Task The_sweep_removes_blobs_nothing_references()
    {
        await SetUpCommunityAsync();
        var kept = await (await UploadAsync(BobHttp, new { content = "kept" }, ("k.txt", "keep me"u8.ToArray(), null))).ExpectAsync(HttpStatusCode.OK);
        // A blob left by a crash between storing and saving the message.
        var temp = Server.Services.GetRequiredService<UploadTemp>().NewPath();
        await File.WriteAllTextAsync(temp, "orphan", Cancel);
        var orphan = await Store.CommitAsync(temp, Cancel);
        Assert.Equal(2, await BlobCountAsync());

        await Server.Services.GetRequiredService<FileJanitor>().SweepAsync(Cancel); // grace period 0 in these tests

        Assert.Null(await Store.ModifiedAsync(StoreNames.Blob(orphan), Cancel));
        using var anonymous = Anonymous();
        Assert.Equal("keep me", await anonymous.GetStringAsync(Attachment(kept).GetProperty("url").GetString(), Cancel));
    }

    [Fact]
    public async Task Avatars_and_icons_are_resized_and_served_at_discords_paths()
    {
        await SetUpCommunityAsync();
        await using var aliceGateway = await GatewayClient.IdentifyAsync(Server, Alice.Token);
        var portrait = TestImages.Encode(800, 600, SKEncodedImageFormat.Jpeg);
        var me = await (await BobHttp.PatchJsonAsync("users/@me", new { avatar = "data:image/jpeg;base64," + Convert.ToBase64String(portrait) })).ExpectAsync(HttpStatusCode.OK);
        var hash = me.GetProperty("avatar").GetString()!;
        Assert.Matches("^[0-9a-f]{32}$", hash);
        // Everyone who shares a server sees it at once.
        await aliceGateway.DispatchAsync("GUILD_MEMBER_UPDATE", d => d.GetProperty("user").GetProperty("avatar").GetString() == hash);
        using var anonymous = Anonymous();
        var root = Server.Address.ToString().TrimEnd('/');
        using (var full = SKBitmap.Decode(await anonymous.GetByteArrayAsync($"{root}/avatars/{Bob.UserId}/{hash}.png", Cancel)))
            Assert.Equal((512, 512), (full.Width, full.Height));
        var small = await anonymous.GetAsync($"{root}/avatars/{Bob.UserId}/{hash}.webp?size=64", Cancel);
        Assert.Equal("image/webp", small.Content.Headers.ContentType!.MediaType);
        using (var decoded = SKBitmap.Decode(await small.Content.ReadAsByteArrayAsync(Cancel)))
            Assert.Equal(64, decoded.Width);
        Assert.Equal(HttpStatusCode.BadRequest, (await anonymous.GetAsync($"{root}/avatars/{Bob.UserId}/{hash}.png?size=100", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"{root}/avatars/{Bob.UserId}/{new string('0', 32)}.png", Cancel)).StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, (await anonymous.GetAsync($"{root}/avatars/{Bob.UserId}/..%2F..%2Fjwt-signing.key", Cancel)).StatusCode);

        var animated = await (await AliceHttp.PatchJsonAsync($"guilds/{GuildId}", new { icon = "data:image/gif;base64," + Convert.ToBase64String(TestImages.AnimatedGif()) })).ExpectAsync(HttpStatusCode.OK);
        var icon = animated.GetProperty("icon").GetString()!;
        Assert.StartsWith("a_", icon, StringComparison.Ordinal);
        Assert.Equal(TestImages.AnimatedGif(), await anonymous.GetByteArrayAsync($"{root}/icons/{GuildId}/{icon}.gif", Cancel));

        foreach (var bad in new[] { "not a data uri", "data:image/png;base64,@@@", "data:image/png;base64," + Convert.ToBase64String("<svg/>"u8.ToArray()) })
        {
            var error = await Error(await BobHttp.PatchJsonAsync("users/@me", new { avatar = bad }), HttpStatusCode.BadRequest, 50035);
            Assert.Contains("IMAGE_INVALID", error.FieldErrorCodes("avatar"));
        }
        var cleared = await (await BobHttp.PatchJsonAsync("users/@me", new { avatar = (string?)null })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal(JsonValueKind.Null, cleared.GetProperty("avatar").ValueKind);
    }

    private static async Task WaitUntilAsync(Func<Task<bool>> condition)
    {
        for (var i = 0; i < 100 && !await condition(); i++)
            await Task.Delay(100, Cancel);
        Assert.True(await condition());
    }
}
