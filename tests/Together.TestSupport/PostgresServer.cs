using System.Diagnostics;
using Npgsql;

namespace Together.TestSupport;

/// <summary>
/// The PostgreSQL server tests use: the one named by <c>TOGETHER_TEST_POSTGRES</c> (a connection
/// string to a maintenance database, set by scripts/test.sh), or else a throwaway cluster this
/// process starts itself with scripts/pg-throwaway.sh and stops on exit.
/// </summary>
public static class PostgresServer
{
    private static readonly Lazy<Task<string>> Server = new(StartAsync);
    private static string? _ownedClusterDir;

    public static Task<string> ConnectionStringAsync() => Server.Value;

    /// <summary>Creates an empty database and returns its connection string.</summary>
    public static async Task<string> CreateDatabaseAsync(string? template = null)
    {
        var admin = await ConnectionStringAsync();
        var name = "t_" + Guid.NewGuid().ToString("N")[..20];
        await using (var connection = new NpgsqlConnection(admin))
        {
            await connection.OpenAsync();
            await using var command = connection.CreateCommand();
            command.CommandText = template is null
                ? $"CREATE DATABASE \"{name}\""
                : $"CREATE DATABASE \"{name}\" TEMPLATE \"{template}\"";
            await command.ExecuteNonQueryAsync();
        }
        return new NpgsqlConnectionStringBuilder(admin) { Database = name }.ConnectionString;
    }

    public static async Task DropDatabaseAsync(string connectionString)
    {
        var name = new NpgsqlConnectionStringBuilder(connectionString).Database;
        using (var pooled = new NpgsqlConnection(connectionString))
            NpgsqlConnection.ClearPool(pooled);
        await using var connection = new NpgsqlConnection(await ConnectionStringAsync());
        await connection.OpenAsync();
        await using var command = connection.CreateCommand();
        command.CommandText = $"DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)";
        await command.ExecuteNonQueryAsync();
    }

    private static async Task<string> StartAsync()
    {
        var given = Environment.GetEnvironmentVariable("TOGETHER_TEST_POSTGRES");
        if (!string.IsNullOrWhiteSpace(given))
            return given;
        var dir = Path.Combine(Path.GetTempPath(), "together-pg-" + Guid.NewGuid().ToString("N")[..8]);
        var output = await RunScriptAsync("start", dir);
        _ownedClusterDir = dir;
        AppDomain.CurrentDomain.ProcessExit += (_, _) => StopOwnedCluster();
        return output.Trim().Split('\n')[^1];
    }

    /// <summary>Stops the cluster this process started, if any.</summary>
    public static void StopOwnedCluster()
    {
        var dir = Interlocked.Exchange(ref _ownedClusterDir, null);
        if (dir is null)
            return;
        NpgsqlConnection.ClearAllPools();
        RunScriptAsync("stop", dir).GetAwaiter().GetResult();
    }

    private static async Task<string> RunScriptAsync(string verb, string dir)
    {
        var script = Path.Combine(RepositoryRoot(), "scripts", "pg-throwaway.sh");
        using var process = Process.Start(new ProcessStartInfo("bash", [script, verb, dir])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        }) ?? throw new InvalidOperationException("could not run pg-throwaway.sh");
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        await process.WaitForExitAsync();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"pg-throwaway.sh {verb} failed: {await stderr}");
        return await stdout;
    }

    public static string RepositoryRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "Together.slnx")))
                return dir.FullName;
        throw new InvalidOperationException("Together.slnx not found above " + AppContext.BaseDirectory);
    }
}
