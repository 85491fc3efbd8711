using System.Diagnostics;
using System.Globalization;

namespace Together.Bench;

/// <summary>One reading of the machine's processes, <see cref="At"/> seconds after the sampler started.</summary>
internal readonly record struct ProcessSample(
    double At, long ServerRssKb, double ServerCpuSeconds, double DatabaseCpuSeconds, double ClientCpuSeconds, double MachineCpuSeconds,
    long ServerRssAnonKb = 0, long ServerRssFileKb = 0, long ServerRssShmemKb = 0, double StealSeconds = 0);

/// <summary>CPU and memory over a window of a run. CPU is in percent of one core (this machine has two: 200 % is everything).</summary>
internal sealed record ResourceWindow(
    double Seconds, double ServerCpuPercent, double DatabaseCpuPercent, double ClientCpuPercent,
    double ServerRssSteadyMb, double ServerRssPeakMb, double ServerRssLifetimePeakMb,
    double MachineCpuPercent, double OtherCpuPercent,
    double ServerRssAnonMb = 0, double ServerRssFileMb = 0, double ServerRssShmemMb = 0, double StealPercent = 0);

/// <summary>
/// Reads the spawned server's CPU time and RSS from /proc every 250 ms, the PostgreSQL cluster's
/// CPU (postmaster, its live backends, and the children it has reaped), and this process's own
/// CPU, so a report can say whether the client or the database was the limit.
/// </summary>
internal sealed class ProcessSampler : IAsyncDisposable
{
    // USER_HZ: the unit of /proc/<pid>/stat times, 100 on every Linux architecture .NET runs on.
    private const double TicksPerSecond = 100.0;

    private readonly int? _serverPid;
    private readonly int? _postmasterPid;
    private readonly List<ProcessSample> _samples = [];
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    public ProcessSampler(int? serverPid, int? postmasterPid)
    {
        _serverPid = serverPid;
        _postmasterPid = postmasterPid;
        _loop = Task.Run(LoopAsync);
    }

    public double Now => _clock.Elapsed.TotalSeconds;

    public ProcessSample Take()
    {
        var sample = Read();
        lock (_samples)
            _samples.Add(sample);
        return sample;
    }

    /// <summary>Resources between two moments (from <see cref="Now"/>); steady RSS is the median sample, peak the largest.</summary>
    public ResourceWindow Window(double from, double to)
    {
        var end = Take();
        List<ProcessSample> inside;
        lock (_samples)
            inside = _samples.Where(s => s.At >= from && s.At <= to + 0.3).OrderBy(s => s.At).ToList();
        if (inside.Count < 2)
            inside = [.. inside, end];
        var first = inside[0];
        var last = inside[^1];
        var seconds = Math.Max(0.001, last.At - first.At);
        var rss = inside.Select(s => s.ServerRssKb).Order().ToList();
        double Median(Func<ProcessSample, long> part) => Mb(inside.Select(part).Order().ElementAt(inside.Count / 2));
        return new ResourceWindow(
            Math.Round(seconds, 1),
            Percent(last.ServerCpuSeconds - first.ServerCpuSeconds, seconds),
            Percent(last.DatabaseCpuSeconds - first.DatabaseCpuSeconds, seconds),
            Percent(last.ClientCpuSeconds - first.ClientCpuSeconds, seconds),
            Mb(rss[rss.Count / 2]), Mb(rss[^1]), Mb(ReadStatusKb(_serverPid, "VmHWM:")),
            Percent(last.MachineCpuSeconds - first.MachineCpuSeconds, seconds),
            Percent((last.MachineCpuSeconds - first.MachineCpuSeconds) - (last.ServerCpuSeconds - first.ServerCpuSeconds)
                - (last.DatabaseCpuSeconds - first.DatabaseCpuSeconds) - (last.ClientCpuSeconds - first.ClientCpuSeconds), seconds),
            Median(s => s.ServerRssAnonKb), Median(s => s.ServerRssFileKb), Median(s => s.ServerRssShmemKb),
            Percent(last.StealSeconds - first.StealSeconds, seconds));
    }

    /// <summary>Each interval between two consecutive samples in [from, to], with the CPU other processes used in it (percent of one core).</summary>
    public IReadOnlyList<(double From, double To, double OtherCpuPercent)> Intervals(double from, double to)
    {
        List<ProcessSample> inside;
        lock (_samples)
            inside = _samples.Where(s => s.At >= from - 0.3 && s.At <= to + 0.3).OrderBy(s => s.At).ToList();
        return [.. inside.Zip(inside.Skip(1), (a, b) => (a.At, b.At, Percent(
            (b.MachineCpuSeconds - a.MachineCpuSeconds) - (b.ServerCpuSeconds - a.ServerCpuSeconds)
            - (b.DatabaseCpuSeconds - a.DatabaseCpuSeconds) - (b.ClientCpuSeconds - a.ClientCpuSeconds), Math.Max(0.001, b.At - a.At))))];
    }

    public long ServerRssKb() => ReadStatusKb(_serverPid, "VmRSS:");

    /// <summary>
    /// The machine is shared: waits (up to <paramref name="max"/>) until processes other than the
    /// server, its database and this bench used under 15 % of a core for two seconds, so a
    /// measurement does not start in the middle of someone else's build. Returns the other load
    /// seen last, in percent of one core.
    /// </summary>
    public async Task<double> WaitForQuietAsync(TimeSpan max, CancellationToken cancellationToken)
    {
        var until = Now + max.TotalSeconds;
        var announced = false;
        while (true)
        {
            var from = Now;
            await Task.Delay(TimeSpan.FromSeconds(2), cancellationToken);
            var other = Window(from, Now).OtherCpuPercent;
            if (other < 15 || Now >= until)
                return other;
            if (!announced)
                Console.WriteLine($"waiting for the machine to quieten: other processes use {other} % of a core (up to {max.TotalSeconds:F0} s) ...");
            announced = true;
        }
    }

    private static double Percent(double cpuSeconds, double seconds) => Math.Round(cpuSeconds / seconds * 100, 1);

    private static double Mb(long kb) => Math.Round(kb / 1024.0, 1);

    private async Task LoopAsync()
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(250));
        try
        {
            while (await timer.WaitForNextTickAsync(_stop.Token))
                Take();
        }
        catch (OperationCanceledException)
        {
            // Stopped.
        }
    }

    private ProcessSample Read()
    {
        var server = _serverPid is { } pid ? ReadStat(pid) : default;
        double database = 0;
        if (_postmasterPid is { } postmaster)
        {
            var main = ReadStat(postmaster);
            database = main.Own + main.Reaped;
            foreach (var dir in Directory.EnumerateDirectories("/proc"))
                if (int.TryParse(Path.GetFileName(dir), NumberStyles.None, CultureInfo.InvariantCulture, out var child) && child != postmaster)
                {
                    var stat = ReadStat(child);
                    if (stat.Parent == postmaster)
                        database += stat.Own;
                }
        }
        using var self = Process.GetCurrentProcess();
        var memory = ReadMemory(_serverPid);
        var (busy, steal) = MachineSeconds();
        return new ProcessSample(Now, memory.Rss, server.Own, database, self.TotalProcessorTime.TotalSeconds, busy,
            memory.Anon, memory.File, memory.Shmem, steal);
    }

    /// <summary>
    /// Busy CPU time of the whole machine (all cores, /proc/stat: user, nice, system, irq, softirq,
    /// steal): what the server, database and bench did not use went to other work on the machine,
    /// which a shared 2-core machine must report next to the figures. Steal (time the hypervisor
    /// gave this VM's cores to other VMs) is part of it and also returned alone: it cannot be
    /// seen in any process list.
    /// </summary>
    private static (double Busy, double Steal) MachineSeconds()
    {
        try
        {
            using var reader = new StreamReader("/proc/stat");
            var fields = reader.ReadLine()!.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            double busy = 0;
            foreach (var i in new[] { 1, 2, 3, 6, 7, 8 })
                busy += double.Parse(fields[i], CultureInfo.InvariantCulture);
            return (busy / TicksPerSecond, double.Parse(fields[8], CultureInfo.InvariantCulture) / TicksPerSecond);
        }
        catch (IOException)
        {
            return default;
        }
    }

    private readonly record struct Stat(int Parent, double Own, double Reaped);

    private static Stat ReadStat(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/stat");
            // "pid (comm) state ppid ...": comm may hold spaces, so count fields after the last ')'.
            var fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
            double F(int field) => double.Parse(fields[field - 3], CultureInfo.InvariantCulture) / TicksPerSecond;
            return new Stat(int.Parse(fields[1], CultureInfo.InvariantCulture), F(14) + F(15), F(16) + F(17));
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException or FormatException or IndexOutOfRangeException)
        {
            return default; // The process ended between listing and reading.
        }
    }

    /// <summary>
    /// RSS and its parts: anonymous memory (the GC heap and native allocations: what the server's
    /// own code controls), file-backed pages (the runtime's and the assemblies' code, shared and
    /// clean) and shared memory (with W^X on, the runtime's executable memory lives in a memfd mapping:
    /// type data, stubs and JIT-compiled code).
    /// </summary>
    private static (long Rss, long Anon, long File, long Shmem) ReadMemory(int? pid)
    {
        if (pid is null)
            return default;
        long rss = 0, anon = 0, file = 0, shmem = 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
            {
                if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                    rss = Kb(line);
                else if (line.StartsWith("RssAnon:", StringComparison.Ordinal))
                    anon = Kb(line);
                else if (line.StartsWith("RssFile:", StringComparison.Ordinal))
                    file = Kb(line);
                else if (line.StartsWith("RssShmem:", StringComparison.Ordinal))
                    shmem = Kb(line);
            }
        }
        catch (IOException)
        {
            // Gone.
        }
        return (rss, anon, file, shmem);

        static long Kb(string line) => long.Parse(line.AsSpan(line.IndexOf(':') + 1).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
    }

    private static long ReadStatusKb(int? pid, string field)
    {
        if (pid is null)
            return 0;
        try
        {
            foreach (var line in File.ReadLines($"/proc/{pid}/status"))
                if (line.StartsWith(field, StringComparison.Ordinal))
                    return long.Parse(line.AsSpan(field.Length).Trim().TrimEnd("kB").Trim(), CultureInfo.InvariantCulture);
        }
        catch (IOException)
        {
            // Gone.
        }
        return 0;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _loop;
        _stop.Dispose();
    }
}
