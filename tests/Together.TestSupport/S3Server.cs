using System.Diagnostics;
using System.Globalization;

namespace Together.TestSupport;

/// <summary>
/// One s3rver (an S3-compatible server on Node, installed by <c>npm ci --prefix tests/s3rver</c>)
/// for the whole test run, on 127.0.0.1 with its data in a temp folder; stopped at exit. It checks
/// SigV4 signatures with its fixed credentials, so a badly signed request fails as on real S3.
/// </summary>
public static class S3Server
{
    public const string AccessKey = "S3RVER";
    public const string SecretKey = "S3RVER";

    private static readonly Lazy<string> Server = new(Start);
    private static Process? _process;
    private static string? _directory;

    /// <summary>"http://127.0.0.1:port" of the running server.</summary>
    public static string Endpoint => Server.Value;

    private static string Start()
    {
        var script = Path.Combine(PostgresServer.RepositoryRoot(), "tests", "s3rver", "node_modules", "s3rver", "bin", "s3rver.js");
        if (!File.Exists(script))
            throw new InvalidOperationException($"s3rver is not installed: run npm ci --prefix tests/s3rver ({script} missing)");
        _directory = Directory.CreateTempSubdirectory("together-s3.").FullName;
        var port = LocalPorts.Free();
        var process = Process.Start(new ProcessStartInfo("node",
            [script, "--directory", _directory, "--address", "127.0.0.1", "--port", port.ToString(CultureInfo.InvariantCulture), "--silent", "--no-vhost-buckets"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not start node for s3rver");
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _process = process;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => Stop();
        if (LocalPorts.WaitForListener(port, TimeSpan.FromSeconds(20), process))
            return $"http://127.0.0.1:{port}";
        Stop();
        throw new InvalidOperationException("s3rver did not start listening");
    }

    public static void Stop()
    {
        var process = Interlocked.Exchange(ref _process, null);
        if (process is not null)
        {
            if (!process.HasExited)
                process.Kill();
            process.Dispose();
        }
        if (Interlocked.Exchange(ref _directory, null) is { } directory)
        {
            try
            {
                Directory.Delete(directory, recursive: true);
            }
            catch (IOException)
            {
            }
        }
    }
}
