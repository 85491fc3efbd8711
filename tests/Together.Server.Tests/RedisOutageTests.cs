using System.Diagnostics;
using Together.Data;
using Together.TestSupport;

namespace Together.Server.Tests;

/// <summary>
/// Redis goes away and comes back under a running server: whatever was published meanwhile never
/// reached it, so it drops its guild cache and has its clients reconnect and identify anew.
/// Uses its own redis-server, so stopping it disturbs no other test.
/// </summary>
public sealed class RedisOutageTests : IAsyncLifetime
{
    private readonly int _port = LocalPorts.Free();
    private Process? _redis;
    private RunningServer? _server;

    private static CancellationToken Cancel => TestContext.Current.CancellationToken;

    public async ValueTask InitializeAsync()
    {
        StartRedis();
        _server = await RunningServer.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?>
        {
            ["Redis:ConnectionString"] = $"127.0.0.1:{_port}",
            // Silence the errors this test causes on purpose.
            ["Logging:LogLevel:Together.Server.Features.Gateway.RedisEventBus"] = "None",
        });
    }

    private void StartRedis()
    {
        _redis = Process.Start(new ProcessStartInfo("redis-server",
            ["--bind", "127.0.0.1", "--port", _port.ToString(System.Globalization.CultureInfo.InvariantCulture), "--save", "", "--appendonly", "no"])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        })!;
        Assert.True(LocalPorts.WaitForListener(_port, TimeSpan.FromSeconds(10), _redis), "redis-server did not start");
    }

    private async Task StopRedisAsync()
    {
        if (_redis is null)
            return;
        if (!_redis.HasExited)
            _redis.Kill();
        await _redis.WaitForExitAsync(CancellationToken.None);
        _redis.Dispose();
        _redis = null;
    }

    [Fact]
    public async Task When_the_subscription_comes_back_every_client_reconnects_and_identifies_anew()
    {
        var server = _server!;
        async Task<(string Token, HttpClient Http)> Register(string name)
        {
            var body = await (await server.Http.PostJsonAsync("auth/register", new { username = name, password = "correct horse battery" })).ExpectAsync(HttpStatusCode.Created);
            var token = body.GetProperty("token").GetString()!;
            return (token, server.NewClient(token));
        }
        var alice = await Register("alice");
        var bob = await Register("bobby");
        var guild = await (await alice.Http.PostJsonAsync("guilds", new { name = "Outage" })).ExpectAsync(HttpStatusCode.Created);
        var general = guild.GetProperty("system_channel_id").GetString();
        var code = (await (await alice.Http.PostJsonAsync($"channels/{general}/invites", new { })).ExpectAsync(HttpStatusCode.OK)).GetProperty("code").GetString();
        await (await bob.Http.PostAsync($"invites/{code}", null, Cancel)).ExpectAsync(HttpStatusCode.OK);
        var bobGateway = await GatewayClient.IdentifyAsync(server, bob.Token);
        await (await alice.Http.PostJsonAsync($"channels/{general}/messages", new { content = "before" })).ExpectAsync(HttpStatusCode.OK);
        await bobGateway.DispatchAsync("MESSAGE_CREATE");

        await StopRedisAsync();
        await Task.Delay(1500, Cancel);
        StartRedis();

        await bobGateway.NextAsync(f => f.Op == 7, TimeSpan.FromSeconds(30));
        Assert.Equal(4000, await bobGateway.ClosedAsync());
        // Its session is gone: RESUME gets op 9, and a new IDENTIFY works as usual.
        await using (var resume = await GatewayClient.ConnectAsync(server))
        {
            await resume.NextAsync(f => f.Op == 10);
            await resume.SendAsync(new { op = 6, d = new { token = bob.Token, session_id = bobGateway.SessionId, seq = bobGateway.LastSeq } });
            Assert.False((await resume.NextAsync(f => f.Op == 9)).D.GetBoolean());
        }
        await bobGateway.DisposeAsync();
        await using var again = await GatewayClient.IdentifyAsync(server, bob.Token);
        await (await alice.Http.PostJsonAsync($"channels/{general}/messages", new { content = "after" })).ExpectAsync(HttpStatusCode.OK);
        Assert.Equal("after", (await again.DispatchAsync("MESSAGE_CREATE", d => d.GetProperty("content").GetString() == "after")).D.GetProperty("content").GetString());
        alice.Http.Dispose();
        bob.Http.Dispose();
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        await StopRedisAsync();
    }
}
