using System.Collections.Concurrent;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;

namespace Together.Server.Infrastructure;

/// <summary>A limit of <see cref="Limit"/> requests per <see cref="Window"/> for one key.</summary>
public sealed record RateLimitRule(int Limit, TimeSpan Window)
{
    public static RateLimitRule PerMinutes(int limit, double minutes) => new(limit, TimeSpan.FromMinutes(minutes));
}

/// <summary>What a bucket said about one request; carries what Discord's headers need.</summary>
public readonly record struct RateLimitDecision(
    bool Allowed, string Bucket, int Limit, int Remaining, DateTimeOffset ResetAt, TimeSpan ResetAfter)
{
    public double RetryAfterSeconds => Math.Max(0.001, ResetAfter.TotalSeconds);
}

/// <summary>
/// Fixed-window counters per (bucket, key), the model Discord's headers describe: a limit, what
/// remains, and when the window resets. In-process; when several instances run behind a load
/// balancer each counts on its own, which loosens the limit by the instance count at most.
/// </summary>
public sealed class RateLimiter(TimeProvider time)
{
    private readonly ConcurrentDictionary<(string Bucket, string Key), Window> _windows = new();
    private long _lastSweepTicks;

    public RateLimitDecision Acquire(string bucket, string key, RateLimitRule rule)
    {
        ArgumentNullException.ThrowIfNull(rule);
        var now = time.GetUtcNow();
        SweepIfDue(now);
        var window = _windows.GetOrAdd((bucket, key), static _ => new Window());
        lock (window)
        {
            if (now >= window.ResetAt)
            {
                window.Count = 0;
                window.ResetAt = now + rule.Window;
            }
            var allowed = window.Count < rule.Limit;
            if (allowed)
                window.Count++;
            return new RateLimitDecision(allowed, BucketId(bucket), rule.Limit,
                Math.Max(0, rule.Limit - window.Count), window.ResetAt, window.ResetAt - now);
        }
    }

    // Windows that have reset are dropped once a minute, so one-off keys (IPs) do not pile up.
    private void SweepIfDue(DateTimeOffset now)
    {
        var last = Interlocked.Read(ref _lastSweepTicks);
        if (now.UtcTicks - last < TimeSpan.TicksPerMinute
            || Interlocked.CompareExchange(ref _lastSweepTicks, now.UtcTicks, last) != last)
            return;
        foreach (var (key, window) in _windows)
        {
            bool expired;
            lock (window)
                expired = now >= window.ResetAt;
            if (expired)
                _windows.TryRemove(KeyValuePair.Create(key, window));
        }
    }

    // Discord's X-RateLimit-Bucket is an opaque id; ours is stable per bucket name.
    private static readonly ConcurrentDictionary<string, string> BucketIds = new();

    private static string BucketId(string bucket) => BucketIds.GetOrAdd(bucket,
        static name => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(name)).AsSpan(0, 8)));

    private sealed class Window
    {
        public int Count;
        public DateTimeOffset ResetAt;
    }
}

public static class RateLimitHeaders
{
    private static readonly object ItemKey = new();

    /// <summary>
    /// Writes Discord's X-RateLimit-* headers, and on refusal a 429 with its JSON body. When a
    /// request passes several buckets (per address, per account), the headers describe the one
    /// closest to its limit, which is the one a client must pace itself by.
    /// </summary>
    public static JsonHttpResult<RateLimitedError>? Apply(HttpContext context, RateLimitDecision decision)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (context.Items.TryGetValue(ItemKey, out var earlier) && earlier is RateLimitDecision previous)
            decision = Stricter(previous, decision);
        context.Items[ItemKey] = decision;
        var headers = context.Response.Headers;
        headers["X-RateLimit-Limit"] = decision.Limit.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Remaining"] = decision.Remaining.ToString(CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset"] = (decision.ResetAt.ToUnixTimeMilliseconds() / 1000.0).ToString("F3", CultureInfo.InvariantCulture);
        headers["X-RateLimit-Reset-After"] = decision.ResetAfter.TotalSeconds.ToString("F3", CultureInfo.InvariantCulture);
        headers["X-RateLimit-Bucket"] = decision.Bucket;
        if (decision.Allowed)
            return null;
        headers["X-RateLimit-Scope"] = "user";
        headers.RetryAfter = Math.Ceiling(decision.RetryAfterSeconds).ToString(CultureInfo.InvariantCulture);
        return TypedResults.Json(new RateLimitedError("You are being rate limited.", Math.Round(decision.RetryAfterSeconds, 3), false, 0),
            statusCode: StatusCodes.Status429TooManyRequests);
    }

    /// <summary>Of two decisions, the one a client should obey.</summary>
    public static RateLimitDecision Stricter(RateLimitDecision a, RateLimitDecision b) =>
        !a.Allowed ? a : !b.Allowed ? b : a.Remaining <= b.Remaining ? a : b;
}

public sealed record RateLimitedError(string Message, double RetryAfter, bool Global, int Code);

public static class RateLimitEndpointExtensions
{
    /// <summary>Limits a route per client address, answering Discord-style 429s.</summary>
    public static TBuilder RateLimitPerIp<TBuilder>(this TBuilder builder, string bucket, Func<IServiceProvider, RateLimitRule> rule)
        where TBuilder : IEndpointConventionBuilder =>
        builder.AddEndpointFilter(async (context, next) =>
        {
            var http = context.HttpContext;
            var limiter = http.RequestServices.GetRequiredService<RateLimiter>();
            var key = http.Connection.RemoteIpAddress?.ToString() ?? "unknown";
            var decision = limiter.Acquire(bucket, key, rule(http.RequestServices));
            return RateLimitHeaders.Apply(http, decision) is { } limited ? limited : await next(context);
        });
}
