using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Together.Data.Snowflakes;
using Together.Server.Features.Gateway;
using Together.Server.Infrastructure;

namespace Together.Server.Tests;

/// <summary>Payloads with members spliced in (GatewayJson.ObjectWith) and the pooled buffer they are written into.</summary>
public sealed class GatewayJsonTests
{
    private sealed record Sample(Snowflake Id, string Name, string? Topic, IReadOnlyList<int> Numbers);

    private sealed record Nothing;

    /// <summary>What the payloads were built with before: a DOM of the object with the members added.</summary>
    private static byte[] ThroughDom<T>(T payload, params (string Name, object? Value)[] extra)
    {
        var node = JsonSerializer.SerializeToNode(payload, GatewayJson.Options)!.AsObject();
        foreach (var (name, value) in extra)
            node[name] = JsonSerializer.SerializeToNode(value, GatewayJson.Options);
        return JsonSerializer.SerializeToUtf8Bytes(node, GatewayJson.Options);
    }

    [Fact]
    public void Members_are_added_after_the_objects_own_as_a_DOM_would_add_them()
    {
        var sample = new Sample(new Snowflake(1234567890123), "quotes \" and <html> & ünïcödé 🎮", null, [1, 2, 3]);
        var members = Enumerable.Range(0, 2500).Select(i => new { user = new { id = i.ToString(System.Globalization.CultureInfo.InvariantCulture), name = $"member {i}" } }).ToList();
        (string, object?)[] extra =
        [
            ("joined_at", new DateTimeOffset(2026, 11, 27, 0, 0, 0, TimeSpan.Zero)),
            ("large", false),
            ("nothing", null),
            ("members", members),
            ("threads", Array.Empty<object>()),
        ];

        var written = GatewayJson.ObjectWith(sample, extra);

        // The same JSON, member for member and in the same order (a DOM re-escapes strings it
        // re-writes, e.g. a timestamp's "+" as \u002B: the same string to any JSON reader).
        var parsed = JsonNode.Parse(written)!.AsObject();
        var reference = JsonNode.Parse(ThroughDom(sample, extra))!.AsObject();
        Assert.True(JsonNode.DeepEquals(reference, parsed));
        Assert.Equal(reference.Select(p => p.Key), parsed.Select(p => p.Key));
        Assert.Equal("2026-11-27T00:00:00+00:00", (string?)parsed["joined_at"]);
        Assert.Equal("1234567890123", (string?)parsed["id"]);
        Assert.Equal(2500, parsed["members"]!.AsArray().Count);
        Assert.Null(parsed["nothing"]);
        Assert.True(written.Length > 85_000); // past the large-object threshold, i.e. through several buffer growths
    }

    [Fact]
    public void An_empty_object_gets_its_first_member_without_a_comma()
    {
        Assert.Equal("""{"guild_id":"5"}""", Encoding.UTF8.GetString(GatewayJson.ObjectWith(new Nothing(), ("guild_id", new Snowflake(5)))));
        Assert.Equal("{}", Encoding.UTF8.GetString(GatewayJson.ObjectWith(new Nothing())));
    }

    [Fact]
    public void A_payload_that_is_not_an_object_is_refused()
    {
        Assert.Throws<ArgumentException>(() => GatewayJson.ObjectWith(new[] { 1, 2 }, ("x", 1)));
        Assert.Throws<ArgumentException>(() => GatewayJson.ObjectWith("text", ("x", 1)));
    }

    [Fact]
    public void The_pooled_writer_keeps_what_was_written_across_growths_and_takes_back_the_end()
    {
        using var writer = new PooledBufferWriter(16);
        var expected = new List<byte>();
        for (var i = 0; i < 5000; i++)
        {
            var span = writer.GetSpan(7);
            for (var j = 0; j < 7; j++)
            {
                span[j] = (byte)(i + j);
                expected.Add((byte)(i + j));
            }
            writer.Advance(7);
        }
        writer.Unwrite(3);
        expected.RemoveRange(expected.Count - 3, 3);

        Assert.Equal(expected.ToArray(), writer.WrittenSpan.ToArray());
        Assert.Throws<ArgumentOutOfRangeException>(() => writer.Unwrite(writer.WrittenCount + 1));
        Assert.Throws<InvalidOperationException>(() => writer.Advance(writer.GetSpan().Length + 1));
    }
}
