using System.Diagnostics;
using System.Net;
using Microsoft.Data.Sqlite;
using Npgsql;
using NpgsqlTypes;

namespace Together.Bench;

internal sealed record QueryKind(string Name, string Example, int Requests, int Errors, double? HitsPerRequest, Summary LatencyMs);

internal sealed record HistoryResult(
    string Database, int Messages, double SeedSeconds, double SeedRowsPerSecond, long DatabaseBytes, long MessagesTableBytes,
    long SearchIndexBytes, IReadOnlyList<QueryKind> Queries, ResourceWindow? Resources, IReadOnlyDictionary<string, string>? SearchPlans);

/// <summary>
/// History at scale: M messages written straight into #general's table (COPY on PostgreSQL, one
/// transaction of prepared INSERTs on SQLite, the FTS triggers included), then, one request at a
/// time over REST, random-position pages (before= and around=, limit 50) and guild searches for
/// words of known frequency. 300 mixed requests warm the server up (JIT tiering), then the first
/// 20 requests of each kind are not counted either.
/// </summary>
internal static class HistoryScenario
{
    private static readonly DateTimeOffset DiscordEpoch = new(2015, 1, 1, 0, 0, 0, TimeSpan.Zero);

    public static async Task<HistoryResult> RunAsync(BenchOptions options, ServerHost host, ApiClient api, ProcessSampler sampler, CancellationToken cancellationToken)
    {
        var total = options.Int("messages", 1_000_000);
        var pages = options.Int("pages", 1000);
        var searches = options.Int("searches", 100);
        var cs = host.ConnectionString ?? throw new ArgumentException("history needs the database: spawn, or give --connection-string with --url");

        var community = await Setup.CommunityAsync(api, 10, 4, host.Spawned && !options.Has("no-forwarded-for"), cancellationToken);
        var owner = community.Members[0];
        var authors = community.Members.Select(m => m.UserId).ToArray();

        // Ids: 42-bit milliseconds since 2015 << 22, spread over the 400 days before an hour ago, one
        // message per distinct millisecond, so they sort like real history and never meet new ones.
        var end = DateTimeOffset.UtcNow.AddHours(-1);
        var first = end.AddDays(-400);
        var stepMs = (end - first).TotalMilliseconds / total;
        long IdAt(double ms) => ((long)ms << 22) | (31L << 17);
        var firstMs = (first - DiscordEpoch).TotalMilliseconds;
        var ids = new long[total];
        for (var i = 0; i < total; i++)
            ids[i] = IdAt(firstMs + (i * stepMs));

        Console.WriteLine($"history: seeding {total:N0} messages into {host.Database} ...");
        var clock = Stopwatch.StartNew();
        var random = new Random(42);
        if (host.Database == "postgres")
            await SeedPostgresAsync(cs, community, authors, ids, random, cancellationToken);
        else
            await SeedSqliteAsync(cs, community, authors, ids, random, cancellationToken);
        var seedSeconds = clock.Elapsed.TotalSeconds;
        Console.WriteLine($"history: seeded in {seedSeconds:F1} s ({total / seedSeconds:N0} rows/s)");
        await FlushAsync(host, cs, cancellationToken);

        using (var check = await api.GetJsonAsync(owner, $"channels/{community.ChannelId}/messages?limit=50&before={ids[total / 2]}", cancellationToken))
            if (check.RootElement.GetArrayLength() != 50)
                throw new InvalidOperationException($"a page in the middle returned {check.RootElement.GetArrayLength()} messages, not 50");

        var pick = new Random(7);
        string RandomId() => ids[pick.Next(total)].ToString(System.Globalization.CultureInfo.InvariantCulture);
        string[] terms = [.. Content.Markers.Select(m => m.Word), "raid tonight", Content.Absent];

        // The server's first few hundred requests run partly unoptimised code: the JIT compiles
        // hot methods again, optimised, after 30 calls and in the background. A long-running
        // server is past that; so is the measurement (before this, the first kind timed carried
        // the whole JIT warm-up in its tail).
        for (var i = 0; i < 300; i++)
            await api.GetAsync(owner, (i % 3) switch
            {
                0 => $"channels/{community.ChannelId}/messages?limit=50&before={RandomId()}",
                1 => $"channels/{community.ChannelId}/messages?limit=50&around={RandomId()}",
                _ => $"guilds/{community.GuildId}/messages/search?content={Uri.EscapeDataString(terms[i % terms.Length])}",
            }, cancellationToken);

        await sampler.WaitForQuietAsync(TimeSpan.FromSeconds(options.Number("quiet-wait", 60)), cancellationToken);
        var from = sampler.Now;
        var queries = new List<QueryKind>();
        queries.Add(await TimeAsync(api, owner, "page before=", pages, () => $"channels/{community.ChannelId}/messages?limit=50&before={RandomId()}", false, cancellationToken));
        queries.Add(await TimeAsync(api, owner, "page around=", pages, () => $"channels/{community.ChannelId}/messages?limit=50&around={RandomId()}", false, cancellationToken));
        queries.Add(await TimeAsync(api, owner, "page newest", Math.Max(1, pages / 4), () => $"channels/{community.ChannelId}/messages?limit=50", false, cancellationToken));
        foreach (var term in terms)
            queries.Add(await TimeAsync(api, owner, $"search \"{term}\"", searches,
                () => $"guilds/{community.GuildId}/messages/search?content={Uri.EscapeDataString(term)}", true, cancellationToken));
        var resources = host.Spawned ? sampler.Window(from, sampler.Now) : null;

        var (databaseBytes, tableBytes, indexBytes) = host.Database == "postgres" ? await PostgresSizesAsync(cs, cancellationToken) : SqliteSizes(cs);
        var plans = options.Has("explain") && host.Database == "postgres"
            ? await ExplainSearchAsync(cs, community, [.. terms], cancellationToken)
            : null;
        return new HistoryResult(host.Database, total, Math.Round(seedSeconds, 1), Math.Round(total / seedSeconds), databaseBytes, tableBytes, indexBytes, queries, resources, plans);
    }

    /// <summary>
    /// Seeding leaves hundreds of MB of dirty pages (the throwaway cluster runs without fsync): the
    /// kernel's writeback of them took up to 60 % of a core during the timed queries. A checkpoint
    /// and a sync first write them out, so the queries run on a quiet machine.
    /// </summary>
    private static async Task FlushAsync(ServerHost host, string cs, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        if (host.Database == "postgres")
        {
            await using var connection = new NpgsqlConnection(cs);
            await connection.OpenAsync(cancellationToken);
            await using var checkpoint = new NpgsqlCommand("CHECKPOINT", connection) { CommandTimeout = 600 };
            await checkpoint.ExecuteNonQueryAsync(cancellationToken);
        }
        using var sync = Process.Start(new ProcessStartInfo("sync") { UseShellExecute = false });
        if (sync is not null)
            await sync.WaitForExitAsync(cancellationToken);
        Console.WriteLine($"history: checkpoint and sync in {clock.Elapsed.TotalSeconds:F1} s");
    }

    private static async Task<QueryKind> TimeAsync(ApiClient api, Account account, string name, int count, Func<string> path, bool readTotal, CancellationToken cancellationToken)
    {
        const int Warmup = 20;
        var latencies = new Latencies(count);
        var errors = 0;
        double hits = 0;
        var example = path();
        // Bounded in time as well as count: a slow query kind stops after 60 s.
        var stopAt = Stopwatch.GetTimestamp() + (60 * Stopwatch.Frequency);
        for (var i = 0; i < Warmup + count && Stopwatch.GetTimestamp() < stopAt; i++)
        {
            var p = path();
            var start = Stopwatch.GetTimestamp();
            HttpStatusCode status;
            if (readTotal && i == Warmup)
            {
                using var doc = await api.GetJsonAsync(account, p, cancellationToken);
                hits = doc.RootElement.GetProperty("total_results").GetInt32();
                status = HttpStatusCode.OK;
            }
            else
                (status, _) = await api.GetAsync(account, p, cancellationToken);
            var elapsed = Stopwatch.GetTimestamp() - start;
            if (status != HttpStatusCode.OK)
                errors++;
            else if (i >= Warmup)
                latencies.Add(elapsed);
        }
        var summary = latencies.Summarize();
        Console.WriteLine($"  {name,-26} n={summary.Count,5}  p50 {summary.P50,8:F2} ms  p99 {summary.P99,8:F2} ms  max {summary.Max,8:F2} ms{(readTotal ? $"  total_results {hits:N0}" : "")}");
        return new QueryKind(name, "/api/v10/" + example, summary.Count, errors, readTotal ? hits : null, summary);
    }

    private static async Task SeedPostgresAsync(string cs, Community community, long[] authors, long[] ids, Random random, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync(cancellationToken);
        await using (var import = await connection.BeginBinaryImportAsync(
            "COPY messages (id, channel_id, guild_id, author_id, type, content, pinned, tts, mention_everyone, mention_user_ids, mention_role_ids, flags) FROM STDIN (FORMAT BINARY)",
            cancellationToken))
        {
            long[] none = [];
            for (var i = 0; i < ids.Length; i++)
            {
                await import.StartRowAsync(cancellationToken);
                await import.WriteAsync(ids[i], NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(community.ChannelId, NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(community.GuildId, NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(authors[random.Next(authors.Length)], NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
                await import.WriteAsync(Content.Sentence(random, i), NpgsqlDbType.Varchar, cancellationToken);
                await import.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
                await import.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
                await import.WriteAsync(false, NpgsqlDbType.Boolean, cancellationToken);
                await import.WriteAsync(none, NpgsqlDbType.Array | NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(none, NpgsqlDbType.Array | NpgsqlDbType.Bigint, cancellationToken);
                await import.WriteAsync(0, NpgsqlDbType.Integer, cancellationToken);
            }
            await import.CompleteAsync(cancellationToken);
        }
        await using (var last = new NpgsqlCommand("UPDATE channels SET last_message_id = $1 WHERE id = $2", connection))
        {
            last.Parameters.AddWithValue(ids[^1]);
            last.Parameters.AddWithValue(community.ChannelId);
            await last.ExecuteNonQueryAsync(cancellationToken);
        }
        // VACUUM as well as ANALYZE: a table that has lived for months has its visibility map set;
        // without it the first queries would race autovacuum over the freshly loaded rows.
        await using var analyze = new NpgsqlCommand("VACUUM ANALYZE messages", connection);
        analyze.CommandTimeout = 600;
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task SeedSqliteAsync(string cs, Community community, long[] authors, long[] ids, Random random, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(cs + ";Default Timeout=60");
        await connection.OpenAsync(cancellationToken);
        await using var transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
        await using var insert = connection.CreateCommand();
        insert.Transaction = transaction;
        insert.CommandText = """
            INSERT INTO messages (id, channel_id, guild_id, author_id, type, content, pinned, tts, mention_everyone, mention_user_ids, mention_role_ids, flags)
            VALUES ($id, $channel, $guild, $author, 0, $content, 0, 0, 0, '[]', '[]', 0)
            """;
        var id = insert.Parameters.Add("$id", SqliteType.Integer);
        insert.Parameters.AddWithValue("$channel", community.ChannelId);
        insert.Parameters.AddWithValue("$guild", community.GuildId);
        var author = insert.Parameters.Add("$author", SqliteType.Integer);
        var content = insert.Parameters.Add("$content", SqliteType.Text);
        await insert.PrepareAsync(cancellationToken);
        for (var i = 0; i < ids.Length; i++)
        {
            id.Value = ids[i];
            author.Value = authors[random.Next(authors.Length)];
            content.Value = Content.Sentence(random, i);
            await insert.ExecuteNonQueryAsync(cancellationToken);
        }
        await using (var last = connection.CreateCommand())
        {
            last.Transaction = transaction;
            last.CommandText = "UPDATE channels SET last_message_id = $last WHERE id = $channel";
            last.Parameters.AddWithValue("$last", ids[^1]);
            last.Parameters.AddWithValue("$channel", community.ChannelId);
            await last.ExecuteNonQueryAsync(cancellationToken);
        }
        await transaction.CommitAsync(cancellationToken);
        await using var analyze = connection.CreateCommand();
        analyze.CommandText = "ANALYZE";
        await analyze.ExecuteNonQueryAsync(cancellationToken);
    }

    /// <summary>Where the server stops counting hits (SearchMessages.MaxCounted).</summary>
    private const int SearchCountCap = 10_000;

    /// <summary>
    /// EXPLAIN ANALYZE of the two statements a search runs, written the way the server's LINQ
    /// composes them (SearchMessages.cs over PostgresMessageSearch): the count, then the page (in
    /// its common or rare form: the server picks one by the count).
    /// Diagnostics for --explain; not timed.
    /// </summary>
    private static async Task<Dictionary<string, string>> ExplainSearchAsync(string cs, Community community, string[] terms, CancellationToken cancellationToken)
    {
        // PostgresMessageSearch.Matching: plain for common words (and for the count), the hits
        // collected from the index into an array first for rare ones.
        const string Common = "SELECT * FROM messages WHERE search_vector @@ websearch_to_tsquery('simple', $1)";
        const string Rare = "SELECT * FROM messages WHERE id = ANY(ARRAY(SELECT id FROM messages WHERE search_vector @@ websearch_to_tsquery('simple', $1)))";
        const string Filter = "m.guild_id = $2 AND m.deleted_at IS NULL AND m.channel_id = ANY($3)";
        var plans = new Dictionary<string, string>();
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync(cancellationToken);
        foreach (var term in terms)
            foreach (var (kind, sql) in new[]
            {
                ("count", $"SELECT count(*)::int FROM (SELECT 1 FROM ({Common}) AS m WHERE {Filter} LIMIT {SearchCountCap}) AS t"),
                ("page (common)", $"SELECT m.* FROM ({Common}) AS m WHERE {Filter} ORDER BY m.id DESC LIMIT 25 OFFSET 0"),
                ("page (rare)", $"SELECT m.* FROM ({Rare}) AS m WHERE {Filter} ORDER BY m.id DESC LIMIT 25 OFFSET 0"),
            })
            {
                await using var explain = new NpgsqlCommand("EXPLAIN (ANALYZE, BUFFERS) " + sql, connection);
                explain.Parameters.AddWithValue(term);
                explain.Parameters.AddWithValue(community.GuildId);
                explain.Parameters.AddWithValue(new[] { community.ChannelId });
                explain.CommandTimeout = 120;
                var lines = new List<string>();
                await using (var reader = await explain.ExecuteReaderAsync(cancellationToken))
                    while (await reader.ReadAsync(cancellationToken))
                        lines.Add(reader.GetString(0));
                var plan = string.Join('\n', lines);
                plans[$"{kind} \"{term}\""] = plan;
                Console.WriteLine($"--- {kind} \"{term}\"\n{plan}");
            }
        return plans;
    }

    private static async Task<(long, long, long)> PostgresSizesAsync(string cs, CancellationToken cancellationToken)
    {
        await using var connection = new NpgsqlConnection(cs);
        await connection.OpenAsync(cancellationToken);
        await using var command = new NpgsqlCommand(
            "SELECT pg_database_size(current_database()), pg_total_relation_size('messages'), coalesce(pg_relation_size(to_regclass('ix_messages_search_vector')), 0)", connection);
        await using var reader = await command.ExecuteReaderAsync(cancellationToken);
        await reader.ReadAsync(cancellationToken);
        return (reader.GetInt64(0), reader.GetInt64(1), reader.GetInt64(2));
    }

    private static (long, long, long) SqliteSizes(string cs)
    {
        var path = new SqliteConnectionStringBuilder(cs).DataSource;
        long Size(string p) => File.Exists(p) ? new FileInfo(p).Length : 0;
        return (Size(path) + Size(path + "-wal"), 0, 0);
    }
}
