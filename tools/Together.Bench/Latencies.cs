using System.Diagnostics;

namespace Together.Bench;

/// <summary>
/// Every sample kept (as Stopwatch ticks) and sorted once at the end: exact percentiles, no
/// bucketing error. A fan-out run of 500 × 1,500 deliveries is 6 MB of longs, preallocated so
/// recording never allocates. Thread-safe through one interlocked index.
/// </summary>
internal sealed class Latencies(int capacity)
{
    private readonly long[] _ticks = new long[capacity];
    private int _count;
    private long _dropped;

    public int Count => Math.Min(Volatile.Read(ref _count), _ticks.Length);

    /// <summary>Samples that did not fit the preallocated array (counted, not lost from the totals).</summary>
    public long Dropped => Interlocked.Read(ref _dropped);

    public void Add(long ticks)
    {
        var i = Interlocked.Increment(ref _count) - 1;
        if (i < _ticks.Length)
            _ticks[i] = ticks;
        else
            Interlocked.Increment(ref _dropped);
    }

    public Summary Summarize()
    {
        var n = Count;
        var sorted = _ticks.AsSpan(0, n);
        sorted.Sort();
        return new Summary(n, Ms(At(sorted, 0.50)), Ms(At(sorted, 0.90)), Ms(At(sorted, 0.99)), Ms(At(sorted, 0.999)),
            n == 0 ? 0 : Ms(sorted[n - 1]), n == 0 ? 0 : Ms(Mean(sorted)));
    }

    // Nearest-rank percentile: the smallest sample with at least p of the samples at or below it.
    private static long At(ReadOnlySpan<long> sorted, double p) =>
        sorted.Length == 0 ? 0 : sorted[Math.Clamp((int)Math.Ceiling(p * sorted.Length) - 1, 0, sorted.Length - 1)];

    private static double Mean(ReadOnlySpan<long> sorted)
    {
        double sum = 0;
        foreach (var t in sorted)
            sum += t;
        return sum / sorted.Length;
    }

    private static double Ms(double ticks) => Math.Round(ticks * 1000.0 / Stopwatch.Frequency, 3);
}

/// <summary>Milliseconds.</summary>
internal sealed record Summary(int Count, double P50, double P90, double P99, double P999, double Max, double Mean);
