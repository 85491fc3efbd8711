using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Together.Rtc.Client;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;
using Together.Rtc.Srtp;
using Together.Rtc.Transport;
using Xunit;

namespace Together.Rtc.Tests.Interop;

/// <summary>
/// Real headless Chromium (Debian's, driven by playwright-core) against our transport on
/// 127.0.0.1: the page sends its fake microphone, we decode it with Concentus and echo it back
/// with our SSRC, and Chromium's getStats() must show the echoed audio decoded.
/// Needs /usr/bin/chromium (apt-get install chromium) and `npm ci` in browser/; without them
/// the test is skipped, unless TOGETHER_REQUIRE_BROWSER=1 makes that a failure (CI).
/// </summary>
public sealed class BrowserInteropTests
{
    private const uint EchoSsrc = 0x5EB0;

    [Theory]
    [InlineData(SrtpProfile.AeadAes128Gcm, "SRTP_AEAD_AES_128_GCM")]
    [InlineData(SrtpProfile.AesCm128HmacSha1Tag80, "SRTP_AES128_CM_HMAC_SHA1_80")]
    public async Task Chromium_connects_sends_audio_and_decodes_the_echo(SrtpProfile profile, string chromiumCipherName)
    {
        var ct = TestContext.Current.CancellationToken;
        string? browserDir = FindBrowserDirectory();
        string chromium = Environment.GetEnvironmentVariable("CHROMIUM_PATH") ?? "/usr/bin/chromium";
        string? missing = browserDir is null ? "tests/Together.Rtc.Tests/browser not found"
            : !File.Exists(chromium) ? $"{chromium} missing (apt-get install chromium)"
            : !Directory.Exists(Path.Combine(browserDir, "node_modules", "playwright-core")) ? "playwright-core missing (npm ci in tests/Together.Rtc.Tests/browser)"
            : null;
        if (missing is not null)
        {
            Assert.False(Environment.GetEnvironmentVariable("TOGETHER_REQUIRE_BROWSER") == "1", missing);
            Assert.Skip(missing);
        }

        // The transport accepts only the profile under test, so Chromium has to use it.
        using var transport = RtcTransport.Start(new RtcTransportOptions { SrtpProfiles = [profile] });
        var peer = transport.CreatePeer();
        var offers = new SdpOfferBuilder(peer.Local, transport.Certificate.Fingerprint, transport.LocalEndPoint);
        offers.AddAudio(SdpDirection.SendRecv, ssrc: EchoSsrc, cname: "together-sfu", streamId: "echo", trackId: "echo-audio");
        string offer = offers.BuildOffer().ToString();

        var upstream = new OpusRtpReceiver();
        int packetsFromBrowser = 0;
        int levels = 0;
        int levelsAgreeing = 0;
        int handlerFailures = 0;
        transport.HandlerFailed += (_, _) => Interlocked.Increment(ref handlerFailures);
        int echoFailures = 0;
        var pcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels * 6];
        var echo = new byte[1500];
        peer.RtpReceived += (p, packet) =>
        {
            Interlocked.Increment(ref packetsFromBrowser);
            int samples = upstream.Decode(packet, pcm);
            if (RtpPacket.TryParse(packet, out var rtp) && AudioLevel.TryRead(rtp, SdpOfferBuilder.AudioLevelExtensionId, out byte level, out _))
            {
                Interlocked.Increment(ref levels);

                // What we decoded must sound like what Chromium measured before encoding: a wrong
                // key or IV decodes as loud noise where Chromium reported near-silence.
                byte decodedLevel = OpusRtpSender.LevelOf(pcm.AsSpan(0, Math.Max(0, samples) * OpusRtpSender.Channels));
                if (Math.Abs(decodedLevel - level) <= 12 || (level >= 80 && decodedLevel >= 80))
                {
                    Interlocked.Increment(ref levelsAgreeing);
                }
            }

            packet.CopyTo(echo);
            RtpPacket.SetSsrc(echo, EchoSsrc); // the SSRC our offer announced for this m-line
            if (!p.SendRtp(echo.AsSpan(0, packet.Length)))
            {
                Interlocked.Increment(ref echoFailures);
            }
        };

        // Chromium's RTCP must decrypt and parse; ours (sender reports for the echo) must reach
        // its getStats() as remote-outbound-rtp.
        int rtcpFromBrowser = 0;
        peer.RtcpReceived += (_, packet) =>
        {
            if (RtcpCompound.TryParse(packet, out var list) && list.Count > 0)
            {
                Interlocked.Increment(ref rtcpFromBrowser);
            }
        };
        int echoed = 0;
        peer.RtpReceived += (_, _) => Interlocked.Increment(ref echoed);
        var srBuffer = new byte[64];
        using var senderReports = new Timer(_ =>
        {
            if (peer.State != RtcPeerState.Connected)
            {
                return;
            }

            var now = DateTimeOffset.UtcNow;
            double ntpSeconds = (now - new DateTimeOffset(1900, 1, 1, 0, 0, 0, TimeSpan.Zero)).TotalSeconds;
            ulong ntp = ((ulong)Math.Floor(ntpSeconds) << 32) | (uint)((ntpSeconds - Math.Floor(ntpSeconds)) * 4294967296.0);
            var writer = new RtcpWriter(srBuffer);
            int count = Volatile.Read(ref echoed);
            writer.WriteSenderReport(EchoSsrc, ntp, (uint)(count * OpusRtpSender.FrameSamples), (uint)count, (uint)(count * 100));
            writer.WriteSdesCname(EchoSsrc, "together-sfu");
            peer.SendRtcp(writer.Written);
        }, null, TimeSpan.FromMilliseconds(250), TimeSpan.FromMilliseconds(250));

        string page = await File.ReadAllTextAsync(Path.Combine(browserDir!, "page.html"), ct);
        using var http = new HttpListener();
        int port = FreeTcpPort();
        http.Prefixes.Add($"http://127.0.0.1:{port}/");
        http.Start();
        string? answerError = null;
        using var serving = CancellationTokenSource.CreateLinkedTokenSource(ct);
        var server = Task.Run(async () =>
        {
            while (!serving.IsCancellationRequested)
            {
                HttpListenerContext context;
                try
                {
                    context = await http.GetContextAsync().WaitAsync(serving.Token);
                }
                catch (Exception) when (serving.IsCancellationRequested)
                {
                    return;
                }

                string body = "";
                string path = context.Request.Url!.AbsolutePath;
                if (path == "/")
                {
                    body = page;
                    context.Response.ContentType = "text/html";
                }
                else if (path == "/offer")
                {
                    body = offer;
                }
                else if (path == "/rtcp")
                {
                    body = Volatile.Read(ref rtcpFromBrowser).ToString(System.Globalization.CultureInfo.InvariantCulture);
                }
                else if (path == "/answer")
                {
                    using var reader = new StreamReader(context.Request.InputStream, Encoding.UTF8);
                    string answer = await reader.ReadToEndAsync(serving.Token);
                    if (SdpParser.TryParse(answer, out var parsed) && RtcPeer.CheckAnswer(parsed) is null)
                    {
                        peer.SetRemote(parsed); // Chromium's real answer passes the a=setup check
                    }
                    else
                    {
                        answerError = "unusable answer: " + answer;
                    }
                }
                else
                {
                    context.Response.StatusCode = 404;
                }

                var bytes = Encoding.UTF8.GetBytes(body);
                await context.Response.OutputStream.WriteAsync(bytes, serving.Token);
                context.Response.Close();
            }
        }, ct);

        var (exitCode, stdout, stderr) = await RunNodeAsync(browserDir!, $"http://127.0.0.1:{port}/", ct);
        await serving.CancelAsync();
        http.Stop();
        await server;

        Assert.Null(answerError);
        string diagnostics = $"exit {exitCode}\nstdout: {stdout}\nstderr: {stderr}\npeer: {peer.State} {peer.CloseReason}";
        string json = stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries).LastOrDefault() ?? "{}";
        using var result = JsonDocument.Parse(json);
        var root = result.RootElement;
        Assert.True(root.TryGetProperty("ok", out var ok) && ok.GetBoolean(), diagnostics);
        Assert.True(root.GetProperty("packetsReceived").GetInt32() >= 100, diagnostics);
        Assert.True(root.GetProperty("totalSamplesReceived").GetInt64() >= 96000, diagnostics);
        Assert.Equal("audio/opus", root.GetProperty("codec").GetString());
        Assert.Equal(profile, peer.Profile);
        Assert.Equal(chromiumCipherName, root.GetProperty("srtpCipher").GetString());
        Assert.True(upstream.FramesDecoded >= 100, $"server decoded {upstream.FramesDecoded} Opus frames\n{diagnostics}");
        Assert.True(levels >= 100, $"audio level on {levels} packets\n{diagnostics}");
        Assert.True(levelsAgreeing >= levels * 8 / 10, $"decoded level agrees with Chromium's on {levelsAgreeing} of {levels} packets\n{diagnostics}");
        Assert.Equal(0, handlerFailures);
        Assert.True(rtcpFromBrowser >= 1, $"RTCP from Chromium: {rtcpFromBrowser}\n{diagnostics}");
        Assert.True(root.GetProperty("senderReportsReceived").GetInt32() >= 1, diagnostics);
        TestContext.Current.SendDiagnosticMessage($"Chromium interop: {json}; SRTP profile {peer.Profile}; {packetsFromBrowser} packets from the browser, {echoFailures} echo sends failed, levels agree on {levelsAgreeing}/{levels}, {rtcpFromBrowser} RTCP packets from the browser, {peer.EarlyPacketsHeld} held before keys");
    }

    private static async Task<(int ExitCode, string Stdout, string Stderr)> RunNodeAsync(string directory, string url, CancellationToken ct)
    {
        var start = new ProcessStartInfo("node")
        {
            WorkingDirectory = directory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        start.ArgumentList.Add("run.mjs");
        start.ArgumentList.Add(url);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync(ct);
        var stderr = process.StandardError.ReadToEndAsync(ct);
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(90));
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return (process.ExitCode, await stdout, await stderr);
    }

    private static int FreeTcpPort()
    {
        using var probe = new TcpListener(IPAddress.Loopback, 0);
        probe.Start();
        return ((IPEndPoint)probe.LocalEndpoint).Port;
    }

    private static string? FindBrowserDirectory()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, "tests", "Together.Rtc.Tests", "browser");
            if (File.Exists(Path.Combine(candidate, "run.mjs")))
            {
                return candidate;
            }

            if (File.Exists(Path.Combine(dir.FullName, "browser", "run.mjs")))
            {
                return Path.Combine(dir.FullName, "browser");
            }
        }

        return null;
    }
}
