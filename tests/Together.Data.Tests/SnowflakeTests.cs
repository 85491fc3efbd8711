using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using Together.Data.Snowflakes;

namespace Together.Data.Tests;

public sealed class SnowflakeTests
{
    [Fact]
    public void Decodes_discords_documented_example()
    {
        // From Discord's reference documentation ("Snowflake ID Broken Down in Binary").
        var id = new Snowflake(175928847299117063);

        Assert.Equal(DateTimeOffset.Parse("2016-04-30T11:18:25.796Z", System.Globalization.CultureInfo.InvariantCulture), id.Timestamp);
        Assert.Equal(1, id.WorkerId);
        Assert.Equal(0, id.ProcessId);
        Assert.Equal(7, id.Increment);
    }

    [Fact]
    public void Generated_ids_carry_the_time_worker_and_process()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var generator = new SnowflakeGenerator(time, workerId: 3, processId: 17);

        var id = generator.Next();

        Assert.Equal(time.GetUtcNow(), id.Timestamp);
        Assert.Equal(3, id.WorkerId);
        Assert.Equal(17, id.ProcessId);
    }

    [Fact]
    public void Ids_are_unique_and_increasing_under_concurrency()
    {
        var generator = new SnowflakeGenerator(TimeProvider.System, 0, 0);
        const int threads = 8, perThread = 50_000;
        var all = new ConcurrentBag<long[]>();

        Parallel.For(0, threads, new ParallelOptions { MaxDegreeOfParallelism = threads }, _ =>
        {
            var mine = new long[perThread];
            for (var i = 0; i < perThread; i++)
                mine[i] = generator.Next();
            all.Add(mine);
        });

        foreach (var sequence in all)
            for (var i = 1; i < sequence.Length; i++)
                Assert.True(sequence[i] > sequence[i - 1], "each caller sees strictly increasing ids");
        Assert.Equal(threads * perThread, all.SelectMany(s => s).Distinct().Count());
    }

    [Fact]
    public void More_than_4096_ids_in_one_millisecond_run_ahead_instead_of_repeating()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-05-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var generator = new SnowflakeGenerator(time, 0, 0);

        var ids = Enumerable.Range(0, 10_000).Select(_ => generator.Next()).ToList();

        Assert.Equal(ids.Count, ids.Distinct().Count());
        Assert.Equal(ids.OrderBy(i => i.Value), ids);
        Assert.Equal(time.GetUtcNow().AddMilliseconds(2), ids[^1].Timestamp);
    }

    [Fact]
    public void A_clock_stepping_backwards_does_not_break_ordering()
    {
        var time = new SteppingClock { Now = DateTimeOffset.Parse("2026-05-01T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture) };
        var generator = new SnowflakeGenerator(time, 0, 0);
        var before = generator.Next();

        time.Now = time.Now.AddSeconds(-5);
        var after = generator.Next();

        Assert.True(after > before);
    }

    [Fact]
    public void Serialises_as_a_string_and_reads_strings_or_numbers()
    {
        var id = new Snowflake(1575283861494005760);
        Assert.Equal("\"1575283861494005760\"", JsonSerializer.Serialize(id));
        Assert.Equal(id, JsonSerializer.Deserialize<Snowflake>("\"1575283861494005760\""));
        Assert.Equal(id, JsonSerializer.Deserialize<Snowflake>("1575283861494005760"));
    }

    [Theory]
    [InlineData("\"abc\"")]
    [InlineData("\"-5\"")]
    [InlineData("-5")]
    [InlineData("1.5")]
    [InlineData("\"99999999999999999999\"")]
    [InlineData("\"\"")]
    [InlineData("true")]
    [InlineData("{}")]
    public void Rejects_values_that_are_not_snowflakes(string json) =>
        Assert.Throws<JsonException>(() => JsonSerializer.Deserialize<Snowflake>(json));

    [Theory]
    [InlineData("0", true)]
    [InlineData("9223372036854775807", true)]
    [InlineData("9223372036854775808", false)]
    [InlineData("+5", false)]
    [InlineData(" 5", false)]
    [InlineData("5e3", false)]
    [InlineData("", false)]
    public void Parses_route_values_strictly(string text, bool valid) =>
        Assert.Equal(valid, Snowflake.TryParse(text, out _));

    /// <summary>A clock that can be set backwards, as NTP sometimes does to a real one.</summary>
    private sealed class SteppingClock : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
