namespace Together.Data.Snowflakes;

/// <summary>
/// Hands out strictly increasing snowflakes without a lock. The state word packs
/// (milliseconds since epoch &lt;&lt; 12 | increment); a compare-and-swap loop advances it.
/// When 4096 ids are taken within one millisecond, or the clock steps backwards, the state
/// simply runs ahead of the clock: ids stay unique and ordered, and time catches up.
/// </summary>
public sealed class SnowflakeGenerator
{
    private readonly TimeProvider _time;
    private readonly long _machineBits;
    private long _state;

    public SnowflakeGenerator(TimeProvider time, int workerId, int processId)
    {
        ArgumentNullException.ThrowIfNull(time);
        ArgumentOutOfRangeException.ThrowIfNegative(workerId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(workerId, 31);
        ArgumentOutOfRangeException.ThrowIfNegative(processId);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(processId, 31);
        _time = time;
        WorkerId = workerId;
        ProcessId = processId;
        _machineBits = ((long)workerId << 17) | ((long)processId << 12);
    }

    public int WorkerId { get; }

    public int ProcessId { get; }

    public Snowflake Next()
    {
        var nowMs = _time.GetUtcNow().ToUnixTimeMilliseconds() - Snowflake.DiscordEpochMs;
        var floor = nowMs << 12;
        while (true)
        {
            var current = Volatile.Read(ref _state);
            var next = Math.Max(current + 1, floor);
            if (Interlocked.CompareExchange(ref _state, next, current) == current)
            {
                var ms = next >> 12;
                var increment = next & 0xFFF;
                return new Snowflake((ms << 22) | _machineBits | increment);
            }
        }
    }
}
