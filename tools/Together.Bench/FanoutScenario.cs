using System.Diagnostics;
using System.Net;

namespace Together.Bench;

/// <summary>One rate of the fan-out scenario, measured.</summary>
internal sealed record FanoutStep(
    double TargetRate, double AchievedSendRate, int Members, int Senders, double WarmupSeconds, double MeasuredSeconds,
    int MessagesMeasured, int HttpErrors, long ExpectedDeliveries, long Delivered, long Lost, long Duplicates,
    double DeliveriesPerSecond, Summary DeliveryLatencyMs, Summary ReadLatencyMs, long UnstampedReads, Summary PostLatencyMs, Summary FirstDeliveryMs, Summary FanoutSpreadMs, ResourceWindow? Resources,
    int ConnectionsClosed, bool Passed, string Verdict);

internal sealed record FanoutResult(
    int Members, int Senders, int Intents, double SetupSeconds, double ConnectSeconds, int HeartbeatsSent, int HeartbeatAcks,
    IReadOnlyList<FanoutStep> Steps, double? HighestSustainedRate, IReadOnlyList<string> ConnectionsLost);

/// <summary>
/// Fan-out: N members of one guild on the gateway, S of them post to #general over REST at a total
/// rate R (open loop: message k is due at k/R whatever happened before). A delivery's latency runs
/// from just before the sender's POST to the moment a recipient's socket has the MESSAGE_CREATE
/// with that nonce (the kernel's arrival stamp, <see cref="ArrivalStampedStream"/>); the same to
/// the moment the client had read it is reported next to it. Every member (the sender too) must
/// get every message.
/// </summary>
internal sealed class FanoutScenario : IGatewayListener
{
    private const int MaxSamples = 25_000_000;
    private volatile Step? _step;

    private sealed class Step(long baseNonce, int count, int warmupCount, int members)
    {
        public readonly long BaseNonce = baseNonce;
        public readonly int WarmupCount = warmupCount;
        public readonly long[] SentAt = new long[count];
        public readonly int[] Delivered = new int[count];
        public readonly bool[] Failed = new bool[count];
        public readonly Latencies Delivery = new((int)Math.Min(MaxSamples, (long)Math.Max(1, count - warmupCount) * members));
        public readonly Latencies Read = new((int)Math.Min(MaxSamples, (long)Math.Max(1, count - warmupCount) * members));
        public readonly Latencies Post = new(Math.Max(1, count));
        // Per message, the first and the last arrival: first − sent is the REST path up to the
        // publish plus one delivery; last − first is how long the fan-out to all members took.
        public readonly long[] FirstAt = new long[count];
        public readonly long[] LastAt = new long[count];
        public int HttpErrors;
    }

    public void MessageCreated(GatewayClient client, long nonce, long arrivedAt, long readAt)
    {
        var step = _step;
        if (step is null || nonce < step.BaseNonce || nonce >= step.BaseNonce + step.SentAt.Length)
            return;
        var i = (int)(nonce - step.BaseNonce);
        Interlocked.Increment(ref step.Delivered[i]);
        if (i < step.WarmupCount)
            return;
        var sentAt = Volatile.Read(ref step.SentAt[i]);
        step.Delivery.Add(arrivedAt - sentAt);
        step.Read.Add(readAt - sentAt);
        Interlocked.CompareExchange(ref step.FirstAt[i], arrivedAt, 0);
        long seen;
        while ((seen = Volatile.Read(ref step.FirstAt[i])) > arrivedAt && Interlocked.CompareExchange(ref step.FirstAt[i], arrivedAt, seen) != seen)
        {
            // Another recipient raced us; retry with its value.
        }
        while ((seen = Volatile.Read(ref step.LastAt[i])) < arrivedAt && Interlocked.CompareExchange(ref step.LastAt[i], arrivedAt, seen) != seen)
        {
            // Likewise.
        }
    }

    public async Task<FanoutResult> RunAsync(BenchOptions options, ServerHost host, ApiClient api, ProcessSampler sampler, CancellationToken cancellationToken)
    {
        var members = options.Int("members", 500);
        var senders = Math.Min(members, options.Int("senders", 100));
        var rate = options.Number("rate", 50);
        var warmup = options.Number("warmup", 5);
        var intents = options.Int("intents", Gateway.DefaultIntents);
        var findMax = options.Has("find-max");
        var duration = findMax ? options.Number("step-duration", 15) : options.Number("duration", 30);
        var drain = options.Number("drain", 5);
        var maxP99 = options.Number("max-p99", 50);
        var quietWait = options.Number("quiet-wait", 60);
        var maxOther = options.Number("max-other-cpu", 25);
        var retries = options.Int("retries", 2);

        var clock = Stopwatch.StartNew();
        var community = await Setup.CommunityAsync(api, members, options.Int("setup-parallelism", 8), host.Spawned && !options.Has("no-forwarded-for"), cancellationToken);
        var setupSeconds = clock.Elapsed.TotalSeconds;
        var url = await api.GatewayUrlAsync(cancellationToken);
        clock.Restart();
        var clients = await Gateway.ConnectAllAsync(url, community.Members, intents, this, TimeSpan.FromSeconds(120), cancellationToken);
        var connectSeconds = clock.Elapsed.TotalSeconds;
        var failed = clients.Count(c => c.CompleteAt == 0);
        Console.WriteLine($"gateway: {members - failed}/{members} connections READY with their GUILD_CREATE in {connectSeconds:F1} s");
        if (failed > 0)
            throw new InvalidOperationException($"{failed} gateway connections did not get READY: {clients.First(c => c.CompleteAt == 0).Closed}");

        var steps = new List<FanoutStep>();
        double? highest = null;
        await using (var heartbeats = new HeartbeatScheduler(clients))
        {
            try
            {
                var senderAccounts = Enumerable.Range(0, senders).Select(i => community.Members[(int)((long)i * members / senders)]).ToArray();
                long nextNonce = 1_000_000;
                var maxRate = options.Number("max-rate", 5000);
                var factor = Math.Max(1.05, options.Number("rate-factor", 1.5));
                while (true)
                {
                    FanoutStep step;
                    for (var attempt = 0; ; attempt++)
                    {
                        step = await RunStepAsync(api, sampler, community, clients, senderAccounts, rate, warmup, duration, drain, maxP99, quietWait, nextNonce, cancellationToken);
                        nextNonce += 10_000_000;
                        // A shared machine: a step during which other processes took more than
                        // --max-other-cpu % of a core measured them, not the server; run it again.
                        if (step.Resources is not { } r || r.OtherCpuPercent <= maxOther || attempt >= retries)
                            break;
                        Report.PrintFanoutStep(step);
                        Console.WriteLine($"other processes used {r.OtherCpuPercent} % of a core during the step (> {maxOther} %): measuring it again ({attempt + 1}/{retries})");
                    }
                    steps.Add(step);
                    Report.PrintFanoutStep(step);
                    if (step.Passed)
                        highest = rate;
                    if (!findMax || !step.Passed || rate * factor > maxRate)
                        break;
                    rate = Math.Round(rate * factor);
                    await Task.Delay(TimeSpan.FromSeconds(3), cancellationToken); // let queues empty between steps
                }
            }
            finally
            {
                _step = null;
            }
            var sent = heartbeats.Sent;
            var acked = heartbeats.Acked;
            var lost = clients.Where(c => c.Closed is not null).Select(c => $"#{c.Index}: {c.Closed}").ToList();
            await Gateway.CloseAllAsync(clients);
            return new FanoutResult(members, senders, intents, Math.Round(setupSeconds, 1), Math.Round(connectSeconds, 2), sent, acked, steps,
                findMax ? highest : null, lost);
        }
    }

    private async Task<FanoutStep> RunStepAsync(
        ApiClient api, ProcessSampler sampler, Community community, GatewayClient[] clients, Account[] senders,
        double rate, double warmup, double duration, double drain, double maxP99, double quietWait, long baseNonce, CancellationToken cancellationToken)
    {
        var warmupCount = (int)Math.Round(rate * warmup);
        var count = warmupCount + (int)Math.Round(rate * duration);
        var step = new Step(baseNonce, count, warmupCount, clients.Length);
        // Bodies are built before the clock starts: the timed path only sends bytes.
        var bodies = new byte[count][];
        for (var k = 0; k < count; k++)
            bodies[k] = ApiClient.MessageBody(Content.Chat(k), (baseNonce + k).ToString(System.Globalization.CultureInfo.InvariantCulture));
        var closedBefore = clients.Count(c => c.Closed is not null);
        var unstampedBefore = clients.Sum(c => c.UnstampedReads);
        await sampler.WaitForQuietAsync(TimeSpan.FromSeconds(quietWait), cancellationToken);
        _step = step;
        Console.WriteLine($"fanout: {rate:F0} msg/s from {senders.Length} senders to {clients.Length} members: {warmup:F0} s warm-up + {duration:F0} s measured ...");

        var sends = new Task[count];
        var start = Stopwatch.GetTimestamp();
        double measureFrom = 0;
        long measureStartTicks = 0;
        var k2 = 0;
        while (k2 < count)
        {
            var now = Stopwatch.GetTimestamp();
            while (k2 < count && start + (long)(k2 * Stopwatch.Frequency / rate) <= now)
            {
                if (k2 == warmupCount)
                {
                    measureFrom = sampler.Now;
                    measureStartTicks = now;
                }
                sends[k2] = SendOneAsync(api, community.ChannelId, senders[k2 % senders.Length], bodies[k2], step, k2, cancellationToken);
                k2++;
            }
            if (k2 < count)
            {
                var due = start + (long)(k2 * Stopwatch.Frequency / rate);
                var waitMs = (due - Stopwatch.GetTimestamp()) * 1000.0 / Stopwatch.Frequency;
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Clamp(waitMs, 1, 50)), cancellationToken);
            }
        }
        var sendEnd = Stopwatch.GetTimestamp();
        var measureTo = sampler.Now;
        var resources = sampler.Window(measureFrom, measureTo);
        try
        {
            await Task.WhenAll(sends).WaitAsync(TimeSpan.FromSeconds(60), cancellationToken);
        }
        catch (TimeoutException)
        {
            // Still-running POSTs count as errors below.
        }

        // Drain: wait until every accepted message reached every member, or the drain time passes.
        var members = clients.Length;
        var drainUntil = Stopwatch.GetTimestamp() + (long)(drain * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < drainUntil)
        {
            var missing = false;
            for (var i = 0; i < count && !missing; i++)
                missing = !step.Failed[i] && Volatile.Read(ref step.Delivered[i]) < members;
            if (!missing)
                break;
            await Task.Delay(50, cancellationToken);
        }
        _step = null;

        long expected = 0, delivered = 0, duplicates = 0;
        var measured = 0;
        for (var i = warmupCount; i < count; i++)
        {
            if (sends[i].Status != TaskStatus.RanToCompletion)
                step.Failed[i] = true;
            if (step.Failed[i])
                continue;
            measured++;
            expected += members;
            var got = Volatile.Read(ref step.Delivered[i]);
            delivered += Math.Min(got, members);
            duplicates += Math.Max(0, got - members);
        }
        var httpErrors = step.HttpErrors + sends.Count(t => t.Status != TaskStatus.RanToCompletion);
        var seconds = (sendEnd - measureStartTicks) / (double)Stopwatch.Frequency;
        var latency = step.Delivery.Summarize();
        var first = new Latencies(count);
        var spread = new Latencies(count);
        for (var i = warmupCount; i < count; i++)
            if (!step.Failed[i] && step.FirstAt[i] != 0)
            {
                first.Add(step.FirstAt[i] - step.SentAt[i]);
                spread.Add(step.LastAt[i] - step.FirstAt[i]);
            }
        var post = step.Post.Summarize();
        var closed = clients.Count(c => c.Closed is not null) - closedBefore;
        var lost = expected - delivered;
        var achieved = Math.Round((count - warmupCount) / Math.Max(0.001, seconds), 1);
        var verdict = httpErrors > 0 ? $"{httpErrors} HTTP errors"
            : lost > 0 ? $"{lost} deliveries lost"
            : closed > 0 ? $"{closed} connections closed by the server"
            : latency.P99 > maxP99 ? $"p99 {latency.P99} ms > {maxP99} ms"
            : achieved < rate * 0.95 ? $"the client sent only {achieved} msg/s"
            : "ok";
        return new FanoutStep(rate, achieved, members, senders.Length, warmup, Math.Round(seconds, 2), measured, httpErrors, expected, delivered, lost, duplicates,
            Math.Round(delivered / Math.Max(0.001, seconds)), latency, step.Read.Summarize(), clients.Sum(c => c.UnstampedReads) - unstampedBefore, post, first.Summarize(), spread.Summarize(), resources, closed, verdict == "ok", verdict);
    }

    private static async Task SendOneAsync(ApiClient api, long channelId, Account sender, byte[] body, Step step, int k, CancellationToken cancellationToken)
    {
        await Task.Yield(); // never send on the scheduler's own loop
        var sentAt = Stopwatch.GetTimestamp();
        Volatile.Write(ref step.SentAt[k], sentAt);
        HttpStatusCode status;
        try
        {
            status = await api.SendMessageAsync(sender, channelId, body, cancellationToken);
        }
        catch (HttpRequestException)
        {
            status = 0;
        }
        step.Post.Add(Stopwatch.GetTimestamp() - sentAt);
        if (status != HttpStatusCode.OK)
        {
            step.Failed[k] = true;
            Interlocked.Increment(ref step.HttpErrors);
        }
    }
}
