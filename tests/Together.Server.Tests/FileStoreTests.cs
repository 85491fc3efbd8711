using System.Net.Http.Json;
using Microsoft.Extensions.DependencyInjection;
using Together.Data;
using Together.Server.Features.Files;
using Together.TestSupport;

namespace Together.Server.Tests;

/// <summary>What users see when the S3 bucket behind the files is down: clear refusals, no half-saved messages.</summary>
public sealed class FileStoreTests() : CommunityTest(DatabaseProvider.Postgres)
{
    protected override IDictionary<string, string?> Settings => new Dictionary<string, string?>
    {
        ["Files:Store"] = "S3",
        // Nothing listens there.
        ["Files:S3:ServiceUrl"] = $"http://127.0.0.1:{LocalPorts.Free()}",
        ["Files:S3:Bucket"] = "together-down",
        ["Files:S3:AccessKey"] = S3Server.AccessKey,
        ["Files:S3:SecretKey"] = S3Server.SecretKey,
        // The failures this test causes on purpose are logged with their stack traces.
        ["Logging:LogLevel:Together.Server.Features.Files.S3FileStore"] = "None",
        ["Logging:LogLevel:Microsoft.Extensions.Diagnostics.HealthChecks"] = "None",
    };

    [Fact]
    public async Task An_unreachable_bucket_refuses_uploads_with_503_and_text_still_works()
    {
        await SetUpCommunityAsync();
        var ready = await Server.Http.GetAsync(new Uri(Server.Address, "/health/ready"), Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, ready.StatusCode);

        using var form = new MultipartFormDataContent
        {
            { new StringContent("""{"content":"screenshot"}""", System.Text.Encoding.UTF8, "application/json"), "payload_json" },
            { new ByteArrayContent("some bytes"u8.ToArray()), "files[0]", "a.txt" },
        };
        var refused = await BobHttp.PostAsync($"channels/{GeneralId}/messages", form, Cancel);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, refused.StatusCode);
        Assert.NotNull(refused.Headers.RetryAfter);
        var body = await refused.Content.ReadFromJsonAsync<JsonElement>(Cancel);
        Assert.Equal(0, body.GetProperty("code").GetInt32());

        // Nothing half-saved: no message, no upload left waiting on disk.
        Assert.Equal(0, (await Get(BobHttp, $"channels/{GeneralId}/messages")).GetArrayLength());
        Assert.Empty(Directory.GetFiles(Server.Services.GetRequiredService<UploadTemp>().Directory));
        await (await BobHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "words still work" })).ExpectAsync(HttpStatusCode.OK);
    }
}
