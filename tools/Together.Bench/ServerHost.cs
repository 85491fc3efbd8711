using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

namespace Together.Bench;

/// <summary>
/// The server under test: either one given by <c>--url</c>, or (spawn) a Release build of
/// Together started here on 127.0.0.1 with a throwaway PostgreSQL cluster or SQLite, stopped
/// again at the end, on failure and on Ctrl+C.
/// </summary>
internal sealed class ServerHost : IAsyncDisposable
{
    /// <summary>The runtime's switch for running socket completions on its epoll threads.</summary>
    public const string InlineCompletionsVariable = "DOTNET_SYSTEM_NET_SOCKETS_INLINE_COMPLETIONS";

    private readonly string? _workDir;
    private readonly string? _pgDir;
    private readonly string _repoRoot;
    private Process? _process;
    private int _disposed;

    private ServerHost(Uri baseUrl, string repoRoot, string? workDir, string? pgDir)
    {
        BaseUrl = baseUrl;
        _repoRoot = repoRoot;
        _workDir = workDir;
        _pgDir = pgDir;
    }

    public Uri BaseUrl { get; }

    public bool Spawned => _process is not null;

    public int? ServerPid => _process?.Id;

    public int? PostmasterPid { get; private set; }

    /// <summary>"postgres", "sqlite", or "unknown" for a server given by URL.</summary>
    public string Database { get; private set; } = "unknown";

    /// <summary>Npgsql connection string (PostgreSQL) or the SQLite file, when known: the history scenario seeds through it.</summary>
    public string? ConnectionString { get; private set; }

    public string? ServerLog { get; private set; }

    public static ServerHost Existing(Uri url, string repoRoot, string? connectionString) =>
        new(url, repoRoot, null, null)
        {
            ConnectionString = connectionString,
            Database = connectionString is null ? "unknown" : connectionString.Contains("Host=", StringComparison.OrdinalIgnoreCase) ? "postgres" : "sqlite",
        };

    public static async Task<ServerHost> StartAsync(BenchOptions options, string repoRoot, CancellationToken cancellationToken)
    {
        var database = (options.Text("db") ?? "postgres").ToLowerInvariant();
        if (database is not ("postgres" or "sqlite"))
            throw new ArgumentException("--db must be postgres or sqlite");
        if (!options.Has("no-build"))
        {
            Console.WriteLine("building server/Together.Server (Release) ...");
            var build = await RunAsync("dotnet", ["build", "server/Together.Server", "-c", "Release", "-nologo", "-v", "quiet"], repoRoot, cancellationToken);
            if (build.ExitCode != 0)
                throw new InvalidOperationException("server build failed:\n" + build.Output);
        }
        var dll = options.Text("server-dll") ?? Path.Combine(repoRoot, "server/Together.Server/bin/Release/net10.0/Together.Server.dll");
        if (!File.Exists(dll))
            throw new FileNotFoundException("server not built", dll);

        // --nice N: start the database and the server at that scheduling priority (negative needs
        // root). `nice` execs, so the pid is the server's and every thread it starts inherits it.
        var nice = options.Int("nice", 0).ToString(System.Globalization.CultureInfo.InvariantCulture);
        var work = options.Text("data-dir") ?? Path.Combine("/tmp", $"together-bench-{Environment.ProcessId}-{DateTime.UtcNow:HHmmss}");
        Directory.CreateDirectory(work);
        var port = FreePort();
        var host = new ServerHost(new Uri($"http://127.0.0.1:{port}"), repoRoot, work,
            database == "postgres" && options.Text("connection-string") is null ? Path.Combine(work, "pg") : null);
        Current = host;
        try
        {
            host.Database = database;
            if (database == "postgres")
            {
                host.ConnectionString = options.Text("connection-string");
                if (host._pgDir is not null)
                {
                    Console.WriteLine("starting a throwaway PostgreSQL cluster (scripts/pg-throwaway.sh) ...");
                    var pg = await RunAsync("nice", ["-n", nice, "bash", Path.Combine(repoRoot, "scripts/pg-throwaway.sh"), "start", host._pgDir], repoRoot, cancellationToken);
                    if (pg.ExitCode != 0)
                        throw new InvalidOperationException("pg-throwaway failed:\n" + pg.Output);
                    host.ConnectionString = pg.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries)[^1];
                    var pidFile = Path.Combine(host._pgDir, "data/postmaster.pid");
                    host.PostmasterPid = int.Parse(File.ReadLines(pidFile).First(), System.Globalization.CultureInfo.InvariantCulture);
                }
            }
            else
                host.ConnectionString = $"Data Source={Path.Combine(work, "data/together.db")}";

            host.ServerLog = Path.Combine(work, "server.log");
            string[] settings =
            [
                dll,
                $"--Urls={host.BaseUrl.ToString().TrimEnd('/')}",
                $"--DataDirectory={Path.Combine(work, "data")}",
                $"--Database:Provider={(database == "postgres" ? "Postgres" : "Sqlite")}",
                .. database == "postgres" ? [$"--Database:ConnectionString={host.ConnectionString}"] : Array.Empty<string>(),
                // Benchmark only: bcrypt at cost 4 so 500 accounts take seconds, not minutes.
                "--Auth:BcryptWorkFactor=4",
                "--Auth:AllowWeakPasswordHashing=true",
                "--Auth:RateLimits:Register:Limit=100000",
                "--Auth:RateLimits:Login:Limit=100000",
                "--Auth:RateLimits:LoginPerAccount:Limit=100000",
                // The bench joins 500 members from one address; invite joins are limited per address
                // (30/min, not configurable), so it names a distinct address per member in X-Forwarded-For.
                "--Network:TrustedProxies:0=127.0.0.1",
                "--Logging:LogLevel:Default=Warning",
            ];
            Console.WriteLine($"starting Together ({database}) on {host.BaseUrl} — bcrypt work factor 4, FOR THIS BENCHMARK ONLY");
            var start = new ProcessStartInfo("nice")
            {
                WorkingDirectory = work,
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            };
            start.ArgumentList.Add("-n");
            start.ArgumentList.Add(nice);
            start.ArgumentList.Add("dotnet");
            foreach (var s in settings)
                start.ArgumentList.Add(s);
            start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
            // The bench's own setting (Program.cs), not the server's: it runs as shipped unless --server-env says otherwise.
            start.Environment.Remove(InlineCompletionsVariable);
            // What scripts/run.sh sets: the gen0 budget can only be given in the environment.
            start.Environment["DOTNET_GCgen0size"] = "0x800000";
            foreach (var pair in (options.Text("server-env") ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                var eq = pair.IndexOf('=', StringComparison.Ordinal);
                if (eq <= 0)
                    throw new ArgumentException($"--server-env: '{pair}' is not KEY=VALUE");
                start.Environment[pair[..eq]] = pair[(eq + 1)..];
                Console.WriteLine($"server environment: {pair}");
            }
            host._process = Process.Start(start) ?? throw new InvalidOperationException("could not start the server");
            _ = PumpAsync(host._process.StandardOutput, host.ServerLog);
            _ = PumpAsync(host._process.StandardError, host.ServerLog + ".err");
            await host.WaitReadyAsync(cancellationToken);
            return host;
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }
    }

    /// <summary>The host to stop if the process is being torn down (SIGTERM, unhandled failure).</summary>
    public static ServerHost? Current { get; private set; }

    private async Task WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(2) };
        var deadline = Stopwatch.StartNew();
        while (deadline.Elapsed < TimeSpan.FromSeconds(90))
        {
            cancellationToken.ThrowIfCancellationRequested();
            if (_process!.HasExited)
                throw new InvalidOperationException($"the server exited with {_process.ExitCode}:\n{Tail(ServerLog + ".err")}\n{Tail(ServerLog)}");
            try
            {
                using var response = await http.GetAsync(new Uri(BaseUrl, "/health/ready"), cancellationToken);
                if (response.IsSuccessStatusCode)
                    return;
            }
            catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException)
            {
                // Not listening yet.
            }
            await Task.Delay(200, cancellationToken);
        }
        throw new TimeoutException("the server did not become ready within 90 s");
    }

    private static string Tail(string? path) =>
        path is not null && File.Exists(path) ? string.Join('\n', File.ReadLines(path).TakeLast(30)) : "";

    private static async Task PumpAsync(StreamReader reader, string path)
    {
        await using var file = new StreamWriter(path, append: true) { AutoFlush = true };
        while (await reader.ReadLineAsync() is { } line)
            await file.WriteLineAsync(line);
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static async Task<(int ExitCode, string Output)> RunAsync(string file, IReadOnlyList<string> args, string directory, CancellationToken cancellationToken)
    {
        var start = new ProcessStartInfo(file) { WorkingDirectory = directory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in args)
            start.ArgumentList.Add(a);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"could not start {file}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, (await stdout) + (await stderr));
    }

    /// <summary>Stops the server, then the throwaway cluster, then removes the work folder. Safe to call twice.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
            return;
        if (_process is { HasExited: false })
        {
            try
            {
                _process.Kill(entireProcessTree: true);
                await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
            }
            catch (Exception ex) when (ex is InvalidOperationException or TimeoutException or System.ComponentModel.Win32Exception)
            {
                Console.Error.WriteLine($"could not stop the server: {ex.Message}");
            }
        }
        _process?.Dispose();
        if (_pgDir is not null)
        {
            using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            await RunAsync("bash", [Path.Combine(_repoRoot, "scripts/pg-throwaway.sh"), "stop", _pgDir], _repoRoot, timeout.Token);
        }
        if (_workDir is not null)
        {
            try
            {
                Directory.Delete(_workDir, recursive: true);
            }
            catch (IOException)
            {
                // Left behind in /tmp; harmless.
            }
        }
    }

    /// <summary>Last-resort teardown from a process-exit handler: synchronous, best effort.</summary>
    public void EmergencyStop()
    {
        if (Volatile.Read(ref _disposed) != 0)
            return;
        DisposeAsync().AsTask().Wait(TimeSpan.FromSeconds(30));
    }
}
