using System.Diagnostics;
using Together.Data;
using Together.TestSupport;

namespace Together.Server.Tests;

/// <summary>
/// Real Chromium, three pages, one voice channel: each page decodes the other's audio through the
/// server's SFU (getStats), speaking events arrive, and muting stops the stream. Then
/// renegotiation: a leave answered before the next join recycles the retired m-line; a leave and
/// a join before the answer append a new one (JSEP §5.2.2), and audio flows either way.
/// Needs /usr/bin/chromium and playwright-core (tests/Together.Rtc.Tests/browser); skipped without
/// them unless TOGETHER_REQUIRE_BROWSER=1 (CI) makes that a failure.
/// </summary>
public sealed class VoiceBrowserTests() : CommunityTest(DatabaseProvider.Sqlite)
{
    [Fact]
    public async Task Browsers_hear_each_other_muting_stops_the_stream_and_leaves_and_joins_renegotiate()
    {
        var browserDir = Path.Combine(PostgresServer.RepositoryRoot(), "tests", "Together.Rtc.Tests", "browser");
        var missing = !File.Exists("/usr/bin/chromium") ? "/usr/bin/chromium missing"
            : !Directory.Exists(Path.Combine(browserDir, "node_modules", "playwright-core")) ? "playwright-core missing (npm ci in tests/Together.Rtc.Tests/browser)"
            : null;
        if (missing is not null)
        {
            Assert.False(Environment.GetEnvironmentVariable("TOGETHER_REQUIRE_BROWSER") == "1", missing);
            Assert.Skip(missing);
        }
        await SetUpCommunityAsync();
        await JoinAsync(CarolHttp);
        var voice = (await Get(AliceHttp, $"guilds/{GuildId}/channels")).EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 2).GetProperty("id").GetString();
        var setup = JsonSerializer.Serialize(new
        {
            guildId = GuildId,
            channelId = voice,
            users = new[] { new { id = Alice.UserId, token = Alice.Token }, new { id = Bob.UserId, token = Bob.Token }, new { id = Carol.UserId, token = Carol.Token } },
        });

        var start = new ProcessStartInfo("node") { WorkingDirectory = browserDir, RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add("server-voice.mjs");
        start.ArgumentList.Add(Server.Address.ToString().TrimEnd('/'));
        start.ArgumentList.Add(setup);
        using var node = Process.Start(start)!;
        var stderr = node.StandardError.ReadToEndAsync(Cancel);
        var stdout = await node.StandardOutput.ReadToEndAsync(Cancel);
        await node.WaitForExitAsync(Cancel).WaitAsync(TimeSpan.FromSeconds(90), Cancel);
        var report = JsonDocument.Parse(stdout.Trim().Split('\n')[^1]).RootElement;
        TestContext.Current.TestOutputHelper?.WriteLine(report.ToString());

        Assert.True(report.GetProperty("ok").GetBoolean(), $"{report} {await stderr}");
        foreach (var page in report.GetProperty("before").EnumerateArray())
        {
            Assert.True(page.GetProperty("packets").GetInt32() > 100, report.ToString());
            Assert.True(page.GetProperty("samples").GetInt64() > 48_000, report.ToString());
        }
        // The SFU's receiver reports reach Chromium: it shows them as remote-inbound-rtp, with a
        // round-trip time measured from our LSR/DLSR.
        var receiverReport = Assert.Single(report.GetProperty("receiverReports").EnumerateArray());
        Assert.True(receiverReport.TryGetProperty("roundTripTime", out var rtt) && rtt.GetDouble() is >= 0 and < 1, $"round trip from our receiver reports: {report}");
        var voices = report.GetProperty("voice").EnumerateArray().ToList();
        Assert.All(voices, v => Assert.Equal(JsonValueKind.Null, v.GetProperty("error").ValueKind));
        Assert.True(voices[1].GetProperty("speaking").TryGetProperty(Alice.UserId, out _), $"bob saw alice speak: {report}");
        var muted = report.GetProperty("whileMuted");
        var received = muted.GetProperty("end").GetProperty("packets").GetInt32() - muted.GetProperty("start").GetProperty("packets").GetInt32();
        Assert.True(received < 5, $"bob kept receiving {received} packets from the muted alice");

        // Bob left and alice answered before carol joined: carol took bob's m-line (two m-lines).
        var leaveThenJoin = report.GetProperty("leaveThenJoin");
        Assert.Equal(2, leaveThenJoin.GetProperty("mlinePorts").GetArrayLength());
        Assert.True(leaveThenJoin.GetProperty("firstHears").GetInt32() > 50, $"alice hears carol: {report}");
        Assert.True(leaveThenJoin.GetProperty("thirdHears").GetInt32() > 50, $"carol hears alice: {report}");
        // Carol left and bob joined before alice answered: bob got a third m-line, carol's stays
        // rejected (alice applied only the latest offer, which would fail on a recycled mid).
        var beforeAnswer = report.GetProperty("leaveAndJoinBeforeAnswer");
        Assert.Equal([false, true, false], beforeAnswer.GetProperty("mlinePorts").EnumerateArray().Select(p => p.GetString() == "0"));
        Assert.True(beforeAnswer.GetProperty("firstHears").GetInt32() > 50, $"alice hears bob again: {report}");
        Assert.True(beforeAnswer.GetProperty("secondHears").GetInt32() > 50, $"bob hears alice again: {report}");
        Assert.All(report.GetProperty("after").EnumerateArray(), v => Assert.Equal(JsonValueKind.Null, v.GetProperty("error").ValueKind));
    }
}
