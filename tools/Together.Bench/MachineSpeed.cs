using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;

namespace Together.Bench;

/// <summary>
/// Three figures that say how fast this machine does what the scenarios lean on, so that runs on
/// different machines (or VMs of the same name on different hosts) can be told apart: the same
/// server build measured 40–45 % of a core for the default fan-out on one VM and 31–37 % on the
/// next (docs/performance.md, eleventh round).
/// </summary>
internal static class MachineSpeed
{
    /// <param name="JsonMicroseconds">One chat message serialised and scanned again, best batch.</param>
    /// <param name="SameCoreRoundTripMicroseconds">A byte to another thread over loopback TCP and back, both on one core: system calls and a thread switch (median).</param>
    /// <param name="CrossCoreRoundTripMicroseconds">The same with the threads on two cores: waking a thread on the other core, which on a VM may mean waking that virtual CPU (median; null on one core).</param>
    internal sealed record Figures(double JsonMicroseconds, double SameCoreRoundTripMicroseconds, double? CrossCoreRoundTripMicroseconds);

    private sealed record Message(string Id, string ChannelId, string Content, string Timestamp, string Nonce, IReadOnlyList<string> Mentions);

    /// <summary>Call on the main thread: on Linux, setting the process's affinity sets that thread's (threads started after it inherit it).</summary>
    public static Figures Measure()
    {
        var json = Math.Round(Json(), 2);
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
            return new(json, Math.Round(LoopbackRoundTrip(null), 1), null);
        var all = Process.GetCurrentProcess().ProcessorAffinity;
        try
        {
            var sameCore = LoopbackRoundTrip(echoOn: 1);
            var crossCore = LoopbackRoundTrip(echoOn: 2);
            return new(json, Math.Round(sameCore, 1), Math.Round(crossCore, 1));
        }
        finally
        {
            Process.GetCurrentProcess().ProcessorAffinity = all;
        }
    }

    private static double Json()
    {
        var message = new Message("1575658870435594240", "1575658870435594243", new string('x', 400), "2026-11-27T00:00:00.000+00:00", "1234567", ["1", "2"]);
        const int PerBatch = 2000;
        var best = double.MaxValue;
        var tokens = 0;
        // Long enough for the runtime to have recompiled the loop's code optimised (its first
        // compilation is quick and slow), then the best batch.
        var measuring = Stopwatch.StartNew();
        for (var batch = 0; batch < 12 || measuring.ElapsedMilliseconds < 600; batch++)
        {
            var started = Stopwatch.GetTimestamp();
            for (var i = 0; i < PerBatch; i++)
            {
                var reader = new Utf8JsonReader(JsonSerializer.SerializeToUtf8Bytes(message));
                while (reader.Read())
                    tokens++;
            }
            best = Math.Min(best, Stopwatch.GetElapsedTime(started).TotalMicroseconds / PerBatch);
        }
        return tokens > 0 ? best : double.NaN;
    }

    /// <summary>The echoing thread starts with the affinity mask <paramref name="echoOn"/>; this thread then moves to the first core.</summary>
    private static double LoopbackRoundTrip(nint? echoOn)
    {
        using var listener = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);
        listener.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        listener.Listen(1);
        using var client = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        client.Connect(listener.LocalEndPoint!);
        using var server = listener.Accept();
        server.NoDelay = true;
        const int RoundTrips = 3000;
        var echo = new Thread(() =>
        {
            var one = new byte[1];
            for (var i = 0; i < RoundTrips; i++)
            {
                if (server.Receive(one) != 1)
                    return;
                server.Send(one);
            }
        }) { IsBackground = true };
        if (echoOn is { } mask && OperatingSystem.IsLinux())
            Process.GetCurrentProcess().ProcessorAffinity = mask;
        echo.Start();
        if (echoOn is not null && OperatingSystem.IsLinux())
            Process.GetCurrentProcess().ProcessorAffinity = 1;
        var times = new double[RoundTrips];
        var buffer = new byte[1];
        for (var i = 0; i < RoundTrips; i++)
        {
            var started = Stopwatch.GetTimestamp();
            client.Send(buffer);
            if (client.Receive(buffer) != 1)
                return double.NaN;
            times[i] = Stopwatch.GetElapsedTime(started).TotalMicroseconds;
        }
        echo.Join();
        Array.Sort(times);
        return times[RoundTrips / 2];
    }
}
