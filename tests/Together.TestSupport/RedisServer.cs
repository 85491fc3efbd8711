using System.Diagnostics;
using System.Net;
using System.Net.Sockets;

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
        var port = FreePort();
        var process = Process.Start(new ProcessStartInfo("redis-server",
            ["--bind", "127.0.0.1", "--port", port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no", "--protected-mode", "yes"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start redis-server (apt-get install -y redis-server)");
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (DateTime.UtcNow < deadline)
        {
            try
            {
                using var client = new TcpClient();
                client.Connect(IPAddress.Loopback, port);
                return $"127.0.0.1:{port}";
            }
            catch (SocketException)
            {
                Thread.Sleep(50);
            }
        }
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

    /// <summary>A port nothing listens on right now (the OS picks it).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
