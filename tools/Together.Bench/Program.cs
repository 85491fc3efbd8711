using System.Runtime.InteropServices;
using Together.Bench;

// Together.Bench: load and latency figures for a Discord-v10-speaking server (issue 5).
// See docs/performance.md for the method and the figures measured on the project's machine.
// The client's receiving shares the two cores with the server: socket completions run on the
// runtime's epoll threads instead of hopping to the thread pool, which costs a quarter less CPU a
// frame and leaves those cycles to the server (docs/performance.md, sixth round). The runtime reads
// this at the first socket, so it is set before any; the spawned server does not inherit it.
// Given as 0 in the environment, the bench keeps the thread pool (for comparisons).
var inlineCompletions = Environment.GetEnvironmentVariable(ServerHost.InlineCompletionsVariable) ?? "1";
Environment.SetEnvironmentVariable(ServerHost.InlineCompletionsVariable, inlineCompletions);

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (ArgumentException ex)
{
    Console.Error.WriteLine(ex.Message);
    Console.Error.WriteLine(BenchOptions.Usage);
    return 2;
}
if (options.Has("help") || options.Scenario is not ("fanout" or "history" or "connect" or "voice"))
{
    Console.Error.WriteLine(BenchOptions.Usage);
    return options.Has("help") ? 0 : 2;
}

using var cancel = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // finish through the finally blocks, which stop the server and the database
    Console.Error.WriteLine("stopping ...");
    cancel.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, context =>
{
    context.Cancel = true;
    cancel.Cancel();
});
AppDomain.CurrentDomain.ProcessExit += (_, _) => ServerHost.Current?.EmergencyStop();

var repoRoot = FindRepoRoot();
var startedAt = DateTimeOffset.UtcNow;
var speed = MachineSpeed.Measure();
Console.WriteLine($"machine: {Environment.ProcessorCount} cores · a chat message serialised and scanned in {speed.JsonMicroseconds} µs · "
    + $"loopback TCP round trip {speed.SameCoreRoundTripMicroseconds} µs on one core, {speed.CrossCoreRoundTripMicroseconds?.ToString(System.Globalization.CultureInfo.InvariantCulture) ?? "-"} µs across two (medians): "
    + "figures from different machines compare only as far as these do");
ServerHost? host = null;
try
{
    host = options.Text("url") is { } url && !options.Has("spawn")
        ? ServerHost.Existing(new Uri(url), repoRoot, options.Text("connection-string"))
        : await ServerHost.StartAsync(options, repoRoot, cancel.Token);
    using var api = new ApiClient(host.BaseUrl);
    await using var sampler = new ProcessSampler(host.ServerPid, host.PostmasterPid);
    object result = options.Scenario switch
    {
        "fanout" => await new FanoutScenario().RunAsync(options, host, api, sampler, cancel.Token),
        "history" => await HistoryScenario.RunAsync(options, host, api, sampler, cancel.Token),
        "voice" => await new VoiceScenario().RunAsync(options, host, api, sampler, cancel.Token),
        _ => await ConnectScenario.RunAsync(options, host, api, sampler, cancel.Token),
    };
    switch (result)
    {
        case FanoutResult f: Report.PrintFanout(f); break;
        case HistoryResult h: Report.PrintHistory(h); break;
        case ConnectResult c: Report.PrintConnect(c); break;
        case VoiceResult v: Report.PrintVoice(v); break;
    }
    var path = options.Text("out")
        ?? Path.Combine(repoRoot, "tools/Together.Bench/bench-results", $"{options.Scenario}-{startedAt:yyyyMMdd-HHmmss}.json");
    await Report.WriteAsync(path, new
    {
        Scenario = options.Scenario,
        StartedAt = startedAt,
        Server = host.BaseUrl.ToString(),
        host.Spawned,
        host.Database,
        BcryptWorkFactor = host.Spawned ? 4 : (int?)null,
        Machine = new
        {
            Environment.ProcessorCount,
            Os = RuntimeInformation.OSDescription,
            Runtime = RuntimeInformation.FrameworkDescription,
            speed.JsonMicroseconds,
            speed.SameCoreRoundTripMicroseconds,
            speed.CrossCoreRoundTripMicroseconds,
        },
        ClientInlineCompletions = inlineCompletions == "1",
        Options = options.Given,
        Result = result,
    }, CancellationToken.None);
    Console.WriteLine($"result written to {path}");
    return 0;
}
catch (OperationCanceledException) when (cancel.IsCancellationRequested)
{
    Console.Error.WriteLine("cancelled");
    return 130;
}
finally
{
    if (host is not null)
        await host.DisposeAsync();
}

static string FindRepoRoot()
{
    foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Together.slnx")))
                return dir.FullName;
    return Directory.GetCurrentDirectory();
}
