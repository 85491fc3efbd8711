using System.Globalization;

namespace Together.Bench;

/// <summary>Command-line options: <c>scenario --key value --flag</c>. Unknown keys are an error, so a typo never silently runs the defaults.</summary>
internal sealed class BenchOptions
{
    private static readonly HashSet<string> Flags = ["spawn", "find-max", "no-build", "no-forwarded-for", "help", "explain"];

    private static readonly HashSet<string> Keys =
    [
        "url", "db", "connection-string", "members", "senders", "rate", "duration", "warmup", "max-p99", "rate-factor",
        "max-rate", "step-duration", "messages", "pages", "searches", "clients", "out", "intents", "drain", "setup-parallelism",
        "server-dll", "data-dir", "server-env", "quiet-wait", "max-other-cpu", "retries", "nice", "participants",
    ];

    private readonly Dictionary<string, string> _values = [];
    private readonly HashSet<string> _flags = [];

    public string Scenario { get; private init; } = "";

    public static BenchOptions Parse(IReadOnlyList<string> args)
    {
        var options = new BenchOptions { Scenario = args.Count > 0 && !args[0].StartsWith("--", StringComparison.Ordinal) ? args[0] : "" };
        for (var i = options.Scenario.Length > 0 ? 1 : 0; i < args.Count; i++)
        {
            var arg = args[i];
            if (!arg.StartsWith("--", StringComparison.Ordinal))
                throw new ArgumentException($"unexpected argument '{arg}'");
            var name = arg[2..];
            var eq = name.IndexOf('=', StringComparison.Ordinal);
            if (eq > 0)
            {
                options.Set(name[..eq], name[(eq + 1)..]);
                continue;
            }
            if (Flags.Contains(name))
                options._flags.Add(name);
            else if (i + 1 < args.Count)
                options.Set(name, args[++i]);
            else
                throw new ArgumentException($"--{name} needs a value");
        }
        return options;
    }

    private void Set(string name, string value)
    {
        if (!Keys.Contains(name))
            throw new ArgumentException($"unknown option --{name}");
        _values[name] = value;
    }

    public bool Has(string flag) => _flags.Contains(flag);

    public string? Text(string key) => _values.GetValueOrDefault(key);

    public int Int(string key, int fallback) =>
        _values.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : fallback;

    public double Number(string key, double fallback) =>
        _values.TryGetValue(key, out var v) ? double.Parse(v, CultureInfo.InvariantCulture) : fallback;

    /// <summary>Every option as given, for the result file.</summary>
    public IReadOnlyDictionary<string, string> Given =>
        _values.Concat(_flags.Select(f => KeyValuePair.Create(f, "true"))).ToDictionary();

    public const string Usage = """
        usage: dotnet run -c Release --project tools/Together.Bench -- <scenario> [options]

        scenarios
          fanout    one guild, N members on the gateway, S senders posting at R msg/s; delivery latency
          voice     one voice channel, N synthetic participants sending Opus; the SFU's added latency, loss, CPU
          history   a channel with M messages seeded into the database; paging (before/around) and search
          connect   N clients identify at once; time to READY + GUILD_CREATE, memory per connection

        server
          --url URL                 use a running server (no spawn); REST at URL/api/v10
          --spawn                   build and start Together here (the default without --url)
          --db postgres|sqlite      spawned server's database (default postgres: a throwaway cluster)
          --connection-string CS    PostgreSQL to use instead of a throwaway cluster (spawn), or to seed (history with --url)
          --no-build                skip `dotnet build server/Together.Server -c Release`
          --no-forwarded-for        do not send X-Forwarded-For on invite joins (see docs/performance.md)
          --server-env K=V[,K=V]    extra environment for the spawned server, e.g. DOTNET_GCgen0size=0x2000000
          --nice N                  start the spawned database and server under `nice -n N` (e.g. -10 on a shared machine, as root)
          --server-dll PATH         run this build instead of server/Together.Server/bin/Release (e.g. a baseline)

        fanout
          --members N (500) --senders S (100) --rate R (50) --duration D s (30) --warmup W s (5) --drain s (5)
          --find-max                raise R by --rate-factor (1.5) until p99 > --max-p99 ms (50), a loss or an error;
                                    each step runs --step-duration s (15) after the warm-up; stops at --max-rate (5000)
          --intents BITS            IDENTIFY intents (default 33281 = GUILDS | GUILD_MESSAGES | MESSAGE_CONTENT)

        history
          --messages M (1000000) --pages P per kind (1000) --searches Q per query (100)
          --explain                 PostgreSQL: print EXPLAIN ANALYZE of each search's count and page statements

        connect
          --clients N (500)

        voice
          --participants N (10) --duration D s (60) --warmup W s (5) --drain s (2)
          --max-p99 MS              verdict limit for the added latency's p99 (1 ms); also fails on any loss or server CPU > 10 %

        machine
          --quiet-wait S            before each measurement wait up to S s (60) for other processes to use < 15 % of a core
          --max-other-cpu P         fanout: a step during which other processes used more than P % of a core (25)
          --retries N               is measured again, up to N times (2); every attempt is printed

        output
          --out PATH                JSON result (default tools/Together.Bench/bench-results/<scenario>-<utc time>.json)
        """;
}
