using System.Diagnostics;

namespace Together.Bench;

internal sealed record ConnectResult(
    int Clients, int Intents, double SetupSeconds, int Completed, double AllCompleteSeconds,
    Summary OpenMs, Summary ReadyMs, Summary CompleteMs, double ServerRssBeforeMb, double ServerRssAfterMb, double RssPerConnectionKb,
    ResourceWindow? Resources, IReadOnlyList<string> Failures);

/// <summary>
/// A reconnect storm: N members of one guild open the gateway and IDENTIFY at the same moment.
/// Measured from just before the first WebSocket connect to the moment each client has READY and
/// its GUILD_CREATE; the server's RSS is read before and a few seconds after, for memory per connection.
/// </summary>
internal static class ConnectScenario
{
    public static async Task<ConnectResult> RunAsync(BenchOptions options, ServerHost host, ApiClient api, ProcessSampler sampler, CancellationToken cancellationToken)
    {
        var count = options.Int("clients", options.Int("members", 500));
        var intents = options.Int("intents", Gateway.DefaultIntents);
        var clock = Stopwatch.StartNew();
        var community = await Setup.CommunityAsync(api, count, options.Int("setup-parallelism", 8), host.Spawned && !options.Has("no-forwarded-for"), cancellationToken);
        var setupSeconds = clock.Elapsed.TotalSeconds;
        var url = await api.GatewayUrlAsync(cancellationToken);

        // Let the set-up's garbage settle so the baseline is the idle server with its data loaded.
        await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken);
        await sampler.WaitForQuietAsync(TimeSpan.FromSeconds(options.Number("quiet-wait", 60)), cancellationToken);
        var before = sampler.ServerRssKb();
        var from = sampler.Now;
        Console.WriteLine($"connect: {count} clients identify at once ...");
        var start = Stopwatch.GetTimestamp();
        var clients = await Gateway.ConnectAllAsync(url, community.Members, intents, null, TimeSpan.FromSeconds(60), cancellationToken);
        var done = clients.Where(c => c.CompleteAt != 0).ToList();
        var all = done.Count == 0 ? 0 : done.Max(c => c.CompleteAt) - start;
        var to = sampler.Now;
        await using (var heartbeats = new HeartbeatScheduler(clients))
            await Task.Delay(TimeSpan.FromSeconds(5), cancellationToken);
        var after = sampler.ServerRssKb();
        var resources = host.Spawned ? sampler.Window(from, to) : null;

        Summary Of(Func<GatewayClient, long> at)
        {
            var latencies = new Latencies(clients.Length);
            foreach (var c in clients)
                if (at(c) != 0)
                    latencies.Add(at(c) - start);
            return latencies.Summarize();
        }
        var result = new ConnectResult(count, intents, Math.Round(setupSeconds, 1), done.Count, Math.Round(Gateway.Ms(all) / 1000, 3),
            Of(c => c.OpenedAt), Of(c => c.ReadyAt), Of(c => c.CompleteAt),
            Math.Round(before / 1024.0, 1), Math.Round(after / 1024.0, 1), Math.Round((after - before) / (double)count, 1),
            resources, clients.Where(c => c.CompleteAt == 0).Select(c => $"#{c.Index}: {c.Closed ?? "timed out"}").Take(20).ToList());
        await Gateway.CloseAllAsync(clients);
        return result;
    }
}
