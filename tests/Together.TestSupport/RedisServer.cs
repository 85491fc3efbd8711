using System.Diagnostics;

namespace Together.TestSupport;

/// <summary>
/// A throwaway redis-server on 127.0.0.1 and a free port, with no persistence, for the tests of
/// scale-out over Redis pub/sub. Started once per test process, stopped when it exits.
/// </summary>
public static class RedisServer
{
    private static readonly Lazy<string> Server = new(Start);
    private static Process? _process;

    /// <summary>"127.0.0.1:port" of the running server.</summary>
    public static string Endpoint => Server.Value;

    private static string Start()
    {
        var port = LocalPorts.Free();
        var process = Process.Start(new ProcessStartInfo("redis-server",
            ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start redis-server (apt-get install -y redis-server)");
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        if (LocalPorts.WaitForListener(port, TimeSpan.FromSeconds(10), process))
            return $"127.0.0.1:{port}";
        Stop();
        throw new InvalidOperationException("redis-server did not start listening");
    }

    public static void Stop()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is null)
            return;
        if (!process.HasExited)
            process.Kill();
        process.Dispose();
    }
}
