using System.Diagnostics;
using Together.Data;
using Together.TestSupport;

namespace Together.Server.Tests;

/// <summary>
/// Two real server processes sharing one PostgreSQL database and one Redis: a client connected
/// to either instance sees what happens through the other.
/// </summary>
public sealed class ScaleOutTests : IAsyncLifetime
{
    private TestDatabase? _database;
    private readonly List<(Process Process, string DataDirectory)> _instances = [];

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync() => _database = await TestDatabase.CreateAsync(DatabaseProvider.Postgres);

    private async Task<Uri> StartInstanceAsync(int workerId)
    {
        var port = LocalPorts.Free();
        var dataDirectory = Path.Combine(Path.GetTempPath(), "together-instance-" + Guid.NewGuid().ToString("N")[..8]);
        var dll = Path.Combine(PostgresServer.RepositoryRoot(), "server", "Together.Server", "bin", "Release", "net10.0", "Together.Server.dll");
        Assert.True(File.Exists(dll), $"build the server first: {dll}");
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (var arg in new[]
        {
            dll,
            $"--Urls=http://127.0.0.1:{port}",
            $"--DataDirectory={dataDirectory}",
            "--Database:Provider=Postgres",
            $"--Database:ConnectionString={_database!.ConnectionString}",
            $"--Redis:ConnectionString={RedisServer.Endpoint}",
            $"--Auth:SigningKey={Convert.ToBase64String(RunningServer.SigningKey)}",
            "--Auth:BcryptWorkFactor=4",
            "--Auth:AllowWeakPasswordHashing=true",
            $"--Snowflake:WorkerId={workerId}",
            "--Logging:LogLevel:Default=Warning",
        })
            start.ArgumentList.Add(arg);
        var process = Process.Start(start)!;
        process.OutputDataReceived += (_, _) => { };
        process.ErrorDataReceived += (_, _) => { };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        _instances.Add((process, dataDirectory));
        var address = new Uri($"http://127.0.0.1:{port}");
        using var probe = new HttpClient();
        for (var i = 0; i < 200; i++)
        {
            try
            {
                if ((await probe.GetAsync(new Uri(address, "/health/ready"), Cancel)).IsSuccessStatusCode)
                    return address;
            }
            catch (HttpRequestException)
            {
                // Not listening yet.
            }
            Assert.False(process.HasExited, "the server process exited during start-up");
            await Task.Delay(100, Cancel);
        }
        throw new TimeoutException("server instance did not become ready");
    }

    private static HttpClient Client(Uri address, string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(address, "/api/v10/") };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    private static async Task<(string Token, string UserId)> RegisterAsync(Uri address, string username)
    {
        using var http = Client(address);
        var body = await (await http.PostJsonAsync("auth/register", new { username, password = "correct horse battery" })).ExpectAsync(HttpStatusCode.Created);
        return (body.GetProperty("token").GetString()!, body.GetProperty("user_id").GetString()!);
    }

    [Fact]
    public async Task Clients_on_different_instances_see_each_others_events()
    {
        var first = await StartInstanceAsync(1);
        var second = await StartInstanceAsync(2);
        var alice = await RegisterAsync(first, "alice");
        var bob = await RegisterAsync(second, "bobby");
        using var aliceHttp = Client(first, alice.Token);
        using var bobHttp = Client(second, bob.Token);
        var guild = await (await aliceHttp.PostJsonAsync("guilds", new { name = "Two boxes" })).ExpectAsync(HttpStatusCode.Created);
        var general = guild.GetProperty("system_channel_id").GetString();
        var code = (await (await aliceHttp.PostJsonAsync($"channels/{general}/invites", new { })).ExpectAsync(HttpStatusCode.OK)).GetProperty("code").GetString();
        await (await bobHttp.PostAsync($"invites/{code}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);

        await using var aliceGateway = await GatewayClient.IdentifyAsync(new Uri(first, "/gateway?v=10&encoding=json"), alice.Token);
        await using var bobGateway = await GatewayClient.IdentifyAsync(new Uri(second, "/gateway?v=10&encoding=json"), bob.Token);

        await (await bobHttp.PostJsonAsync($"channels/{general}/messages", new { content = "from the second box" })).ExpectAsync(HttpStatusCode.OK);
        var atAlice = await aliceGateway.DispatchAsync("MESSAGE_CREATE");
        Assert.Equal("from the second box", atAlice.D.GetProperty("content").GetString());
        await bobGateway.DispatchAsync("MESSAGE_CREATE");

        await (await aliceHttp.PostJsonAsync($"channels/{general}/messages", new { content = "from the first box" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("from the first box", (await bobGateway.DispatchAsync("MESSAGE_CREATE")).D.GetProperty("content").GetString());

        // A permission change made on one instance filters fan-out on the other.
        await (await aliceHttp.PutAsJsonAsync($"channels/{general}/permissions/{guild.GetProperty("id").GetString()}", new { type = 0, deny = "1024" }, Cancel))
            .ExpectAsync(HttpStatusCode.NoContent);
        await bobGateway.DispatchAsync("CHANNEL_DELETE");
        await (await aliceHttp.PostJsonAsync($"channels/{general}/messages", new { content = "hidden now" })).ExpectAsync(HttpStatusCode.OK);
        await aliceGateway.DispatchAsync("MESSAGE_CREATE", d => d.GetProperty("content").GetString() == "hidden now");
        Assert.DoesNotContain(await bobGateway.DrainAsync(TimeSpan.FromMilliseconds(500)), f => f.T == "MESSAGE_CREATE");
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var (process, dataDirectory) in _instances)
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                await process.WaitForExitAsync();
            }
            process.Dispose();
            if (Directory.Exists(dataDirectory))
                Directory.Delete(dataDirectory, recursive: true);
        }
        if (_database is not null)
            await _database.DisposeAsync();
    }
}
