using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// Every opcode a client may send, with odd values as its whole payload and in each of its
/// fields, each on a fresh connection: the server either takes the frame (a heartbeat sent after
/// it is acknowledged) or closes with one of Discord's close codes, never with 4000 ("unknown
/// error": something failed inside the server) and never by dropping the connection.
/// </summary>
public abstract class GatewayFuzzTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : GatewayFuzzTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : GatewayFuzzTests(DatabaseProvider.Sqlite);

    [Fact]
    public async Task No_payload_fails_inside_the_server()
    {
        await SetUpCommunityAsync();
        // Each opcode's payload as a client sends it, field by field (JSON literals).
        var payloads = new Dictionary<int, Dictionary<string, string>>
        {
            [1] = [],
            [2] = new()
            {
                ["token"] = $"\"{Alice.Token}\"", ["intents"] = "513", ["properties"] = """{"os":"linux","browser":"fuzz","device":"fuzz"}""",
                ["shard"] = "[0,1]", ["compress"] = "false", ["large_threshold"] = "50", ["presence"] = """{"status":"online","since":null,"activities":[],"afk":false}""",
            },
            [3] = new() { ["since"] = "null", ["activities"] = "[]", ["status"] = "\"idle\"", ["afk"] = "false" },
            [4] = new() { ["guild_id"] = $"\"{GuildId}\"", ["channel_id"] = "null", ["self_mute"] = "false", ["self_deaf"] = "false" },
            [6] = new() { ["token"] = $"\"{Alice.Token}\"", ["session_id"] = "\"not-a-session\"", ["seq"] = "1" },
            [8] = new()
            {
                ["guild_id"] = $"\"{GuildId}\"", ["query"] = "\"\"", ["limit"] = "0", ["presences"] = "false", ["user_ids"] = "null", ["nonce"] = "\"n\"",
            },
        };
        var frames = new List<(int Op, string Frame)>();
        foreach (var (op, fields) in payloads)
        {
            frames.Add((op, $$"""{"op":{{op}}}"""));
            foreach (var odd in RouteFuzzTests.OddValues)
                frames.Add((op, $$"""{"op":{{op}},"d":{{odd}}}"""));
            foreach (var field in fields.Keys)
            {
                foreach (var odd in RouteFuzzTests.OddValues)
                {
                    var members = fields.Select(kv => $"\"{kv.Key}\":{(kv.Key == field ? odd : kv.Value)}");
                    frames.Add((op, $"{{\"op\":{op},\"d\":{{{string.Join(',', members)}}}}}"));
                }
            }
        }

        var failures = new List<string>();
        var accepted = 0;
        foreach (var (op, frame) in frames)
        {
            // IDENTIFY and RESUME open a session; the others need one.
            await using var client = op is 2 or 6
                ? await GatewayClient.ConnectAsync(Server)
                : await GatewayClient.IdentifyAsync(Server, Alice.Token);
            if (op is 2 or 6)
                await client.NextAsync(f => f.Op == 10);

            await client.SendRawAsync(frame);
            await client.SendRawAsync("""{"op":1,"d":null}""");

            try
            {
                await client.NextAsync(f => f.Op == 11);
                accepted++;
            }
            catch (InvalidOperationException)
            {
                // Closed before the acknowledgement: with what?
                var code = await client.ClosedAsync();
                if (code is null or < 4001 or > 4014)
                    failures.Add($"{Shorten(frame)} → close {code?.ToString() ?? "without a code"}");
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {frames.Count} frames failed:\n" + string.Join('\n', failures.Take(40)));
        // Valid-looking payloads with odd optional fields are taken: the fuzz reached the handlers.
        Assert.True(accepted > 50, $"only {accepted} of {frames.Count} frames were taken");
    }

    private static string Shorten(string text) => text.Length <= 160 ? text : text[..160] + "…";
}
