using System.Text.Json;
using System.Text.Json.Serialization;

namespace Together.Bench;

/// <summary>The table on the console and the JSON result file.</summary>
internal static class Report
{
    private static readonly JsonSerializerOptions JsonOptions = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
    };

    public static void PrintFanoutStep(FanoutStep s)
    {
        var l = s.DeliveryLatencyMs;
        Console.WriteLine($"""
              rate {s.TargetRate} msg/s (sent {s.AchievedSendRate}/s) · {s.Members} members · {s.Senders} senders · {s.MeasuredSeconds} s measured
              | delivery latency | p50 {l.P50} ms | p90 {l.P90} ms | p99 {l.P99} ms | p99.9 {l.P999} ms | max {l.Max} ms | n {l.Count} ({(ArrivalStampedStream.Supported ? "POST start to the recipient's socket, kernel stamp" : "no kernel stamps on this platform: the read time")})
              | read by client   | p50 {s.ReadLatencyMs.P50} ms | p90 {s.ReadLatencyMs.P90} ms | p99 {s.ReadLatencyMs.P99} ms | p99.9 {s.ReadLatencyMs.P999} ms | max {s.ReadLatencyMs.Max} ms (POST start to this tool's read{(s.UnstampedReads > 0 ? $"; {s.UnstampedReads} reads unstamped" : "")})
              | POST latency     | p50 {s.PostLatencyMs.P50} ms | p99 {s.PostLatencyMs.P99} ms | max {s.PostLatencyMs.Max} ms
              | first delivery   | p50 {s.FirstDeliveryMs.P50} ms | p99 {s.FirstDeliveryMs.P99} ms (POST start to the first recipient: the REST path up to the publish)
              | fan-out spread   | p50 {s.FanoutSpreadMs.P50} ms | p99 {s.FanoutSpreadMs.P99} ms | max {s.FanoutSpreadMs.Max} ms (first to last recipient of a message)
              | deliveries       | {s.Delivered}/{s.ExpectedDeliveries} ({s.DeliveriesPerSecond}/s) · lost {s.Lost} · duplicates {s.Duplicates} · HTTP errors {s.HttpErrors} · connections closed {s.ConnectionsClosed}
            {Resources(s.Resources)}  => {s.Verdict}
            """);
    }

    public static void PrintFanout(FanoutResult r)
    {
        Console.WriteLine();
        Console.WriteLine($"fanout: {r.Members} members, {r.Senders} senders, intents {r.Intents}; heartbeats {r.HeartbeatAcks}/{r.HeartbeatsSent} acknowledged");
        Console.WriteLine("| rate msg/s | sent/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | deliveries/s | lost | HTTP errors | server CPU % | DB CPU % | bench CPU % | other CPU % | RSS steady MB | RSS peak MB | verdict |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var s in r.Steps)
        {
            var l = s.DeliveryLatencyMs;
            var x = s.Resources;
            Console.WriteLine($"| {s.TargetRate} | {s.AchievedSendRate} | {l.P50} | {l.P90} | {l.P99} | {l.P999} | {l.Max} | {s.DeliveriesPerSecond} | {s.Lost} | {s.HttpErrors} | {x?.ServerCpuPercent} | {x?.DatabaseCpuPercent} | {x?.ClientCpuPercent} | {x?.OtherCpuPercent} | {x?.ServerRssSteadyMb} | {x?.ServerRssPeakMb} | {s.Verdict} |");
        }
        if (r.HighestSustainedRate is { } max)
            Console.WriteLine($"highest sustained rate: {max} msg/s ({max * r.Members} deliveries/s)");
        foreach (var lost in r.ConnectionsLost.Take(10))
            Console.WriteLine($"connection closed: {lost}");
    }

    public static void PrintHistory(HistoryResult r)
    {
        Console.WriteLine();
        var parts = r.MessagesTableBytes == 0 ? "" : $" (messages with indexes {r.MessagesTableBytes / 1048576.0:F0} MB, search index {r.SearchIndexBytes / 1048576.0:F0} MB)";
        Console.WriteLine($"history: {r.Messages:N0} messages on {r.Database}, seeded in {r.SeedSeconds} s; database {r.DatabaseBytes / 1048576.0:F0} MB{parts}");
        Console.WriteLine("| query | n | p50 ms | p90 ms | p99 ms | max ms | hits (total_results) | errors |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|");
        foreach (var q in r.Queries)
            Console.WriteLine($"| {q.Name} | {q.Requests} | {q.LatencyMs.P50} | {q.LatencyMs.P90} | {q.LatencyMs.P99} | {q.LatencyMs.Max} | {(q.HitsPerRequest is { } h ? h.ToString("N0", System.Globalization.CultureInfo.InvariantCulture) : "")} | {q.Errors} |");
        Console.WriteLine(Resources(r.Resources));
    }

    public static void PrintConnect(ConnectResult r)
    {
        Console.WriteLine();
        Console.WriteLine($"connect: {r.Completed}/{r.Clients} clients had READY and GUILD_CREATE; all within {r.AllCompleteSeconds} s");
        Console.WriteLine("| from the storm's start to | p50 ms | p90 ms | p99 ms | max ms |");
        Console.WriteLine("|---|---|---|---|---|");
        Console.WriteLine($"| WebSocket open | {r.OpenMs.P50} | {r.OpenMs.P90} | {r.OpenMs.P99} | {r.OpenMs.Max} |");
        Console.WriteLine($"| READY | {r.ReadyMs.P50} | {r.ReadyMs.P90} | {r.ReadyMs.P99} | {r.ReadyMs.Max} |");
        Console.WriteLine($"| READY + GUILD_CREATE | {r.CompleteMs.P50} | {r.CompleteMs.P90} | {r.CompleteMs.P99} | {r.CompleteMs.Max} |");
        Console.WriteLine($"server RSS {r.ServerRssBeforeMb} MB before, {r.ServerRssAfterMb} MB with {r.Completed} connections: {r.RssPerConnectionKb} KB per connection");
        Console.WriteLine(Resources(r.Resources));
        foreach (var f in r.Failures)
            Console.WriteLine($"failed: {f}");
    }

    public static void PrintVoiceStep(VoiceStep s)
    {
        var l = s.AddedLatencyMs;
        Console.WriteLine($"""
              {s.Participants} participants · {s.MeasuredSeconds} s measured · sent {s.PacketsSent} packets ({s.SentPerSecond}/s, {s.SendFailures} failed) · send lag p50 {s.SendLagMs.P50} ms, p99 {s.SendLagMs.P99} ms, max {s.SendLagMs.Max} ms
              | added latency | p50 {l.P50} ms | p90 {l.P90} ms | p99 {l.P99} ms | p99.9 {l.P999} ms | max {l.Max} ms | mean {l.Mean} ms | n {l.Count}
              | first arrival | p50 {s.FirstArrivalMs.P50} ms | p99 {s.FirstArrivalMs.P99} ms | p99.9 {s.FirstArrivalMs.P999} ms | max {s.FirstArrivalMs.Max} ms (send to the first of the N − 1 receivers)
              | spread        | p50 {s.SpreadMs.P50} ms | p99 {s.SpreadMs.P99} ms | p99.9 {s.SpreadMs.P999} ms | max {s.SpreadMs.Max} ms (first to last receiver of a packet)
              | calm moments  | p50 {s.CalmLatencyMs.P50} ms | p90 {s.CalmLatencyMs.P90} ms | p99 {s.CalmLatencyMs.P99} ms | p99.9 {s.CalmLatencyMs.P999} ms | max {s.CalmLatencyMs.Max} ms | n {s.CalmLatencyMs.Count} (the {s.CalmPercent} % of packets sent in 250 ms windows with other processes under the --max-other-cpu limit)
              | forwarded     | {s.Received}/{s.ExpectedForwards} ({s.ForwardedPerSecond}/s) · lost {s.Lost}{(s.WorstPair is null ? "" : $" (worst pair {s.WorstPair})")} · duplicates {s.Duplicates} · unmatched {s.Unmatched} · payload changed {s.PayloadMismatches}
              | server CPU    | {s.ServerCpuMicrosecondsPerForward} µs per forwarded packet
            {Resources(s.Resources)}  => {s.Verdict}
            """);
    }

    public static void PrintVoice(VoiceResult r)
    {
        Console.WriteLine();
        Console.WriteLine($"voice: {r.Participants} participants, SRTP {r.SrtpProfile}, joined in {r.JoinSeconds} s; heartbeats {r.HeartbeatAcks}/{r.HeartbeatsSent} acknowledged");
        Console.WriteLine("| participants | sent pkt/s | forwarded pkt/s | p50 ms | p90 ms | p99 ms | p99.9 ms | max ms | calm p99 ms (share) | lost | server CPU % | µs CPU / fwd | DB CPU % | bench CPU % | other CPU % | RSS steady MB | RSS peak MB | verdict |");
        Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
        foreach (var s in r.Steps)
        {
            var l = s.AddedLatencyMs;
            var x = s.Resources;
            Console.WriteLine($"| {s.Participants} | {s.SentPerSecond} | {s.ForwardedPerSecond} | {l.P50} | {l.P90} | {l.P99} | {l.P999} | {l.Max} | {s.CalmLatencyMs.P99} ({s.CalmPercent} %) | {s.Lost} | {x?.ServerCpuPercent} | {s.ServerCpuMicrosecondsPerForward} | {x?.DatabaseCpuPercent} | {x?.ClientCpuPercent} | {x?.OtherCpuPercent} | {x?.ServerRssSteadyMb} | {x?.ServerRssPeakMb} | {s.Verdict} |");
        }
        foreach (var lost in r.ConnectionsLost.Take(10))
            Console.WriteLine($"connection closed: {lost}");
    }

    private static string Resources(ResourceWindow? x) => x is null ? "" :
        $"  | resources        | server CPU {x.ServerCpuPercent} % · database CPU {x.DatabaseCpuPercent} % · bench CPU {x.ClientCpuPercent} % · other processes {x.OtherCpuPercent} % (of which hypervisor steal {x.StealPercent} %) · machine {x.MachineCpuPercent} % (of one core; 2 cores = 200 %) · server RSS steady {x.ServerRssSteadyMb} MB, peak {x.ServerRssPeakMb} MB in the window, {x.ServerRssLifetimePeakMb} MB process peak (VmHWM)\n"
        + $"  | server memory    | steady RSS = anonymous {x.ServerRssAnonMb} MB (GC heap and native allocations) + file-backed {x.ServerRssFileMb} MB (runtime and assembly code) + shared {x.ServerRssShmemMb} MB (the runtime's executable memory under W^X: type data, stubs, JIT-compiled code)\n";

    public static async Task<string> WriteAsync(string path, object result, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        await using var file = File.Create(path);
        await JsonSerializer.SerializeAsync(file, result, JsonOptions, cancellationToken);
        return path;
    }
}
