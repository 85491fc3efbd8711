using Together.Data;

namespace Together.Server.Tests;

/// <summary>The server hands out the built web client and keeps its own routes apart.</summary>
public sealed class WebClientTests : IAsyncLifetime
{
    private readonly string _dist = Path.Combine(Path.GetTempPath(), "together-dist-" + Guid.NewGuid().ToString("N")[..8]);
    private RunningServer? _server;

    public async ValueTask InitializeAsync()
    {
        Directory.CreateDirectory(Path.Combine(_dist, "assets"));
        await File.WriteAllTextAsync(Path.Combine(_dist, "index.html"), "<!doctype html><title>Together</title><div id=root></div>");
        await File.WriteAllTextAsync(Path.Combine(_dist, "assets", "app-1234.js"), "console.log('hi')");
        _server = await RunningServer.StartAsync(DatabaseProvider.Sqlite, new Dictionary<string, string?> { ["WebClient:Path"] = _dist });
    }

    private HttpClient Http => _server!.Http;

    private Uri At(string path) => new(_server!.Address, path);

    [Fact]
    public async Task The_app_shell_is_served_at_the_root_with_a_strict_content_security_policy()
    {
        var response = await Http.GetAsync(At("/"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Contains("<div id=root>", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        var csp = string.Join(";", response.Headers.GetValues("Content-Security-Policy"));
        Assert.Contains("script-src 'self'", csp, StringComparison.Ordinal);
        Assert.Contains("object-src 'none'", csp, StringComparison.Ordinal);
        Assert.Equal("nosniff", response.Headers.GetValues("X-Content-Type-Options").Single());
    }

    [Fact]
    public async Task Client_routes_fall_back_to_the_shell_and_assets_are_cached_for_good()
    {
        var deepLink = await Http.GetAsync(At("/channels/123/456"), TestContext.Current.CancellationToken);
        var asset = await Http.GetAsync(At("/assets/app-1234.js"), TestContext.Current.CancellationToken);

        Assert.Contains("<div id=root>", await deepLink.Content.ReadAsStringAsync(TestContext.Current.CancellationToken), StringComparison.Ordinal);
        Assert.Contains("immutable", asset.Headers.CacheControl!.ToString(), StringComparison.Ordinal);
        Assert.Equal("console.log('hi')", await asset.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        var missing = await Http.GetAsync(At("/assets/gone-9999.js"), TestContext.Current.CancellationToken);
        Assert.Equal(HttpStatusCode.NotFound, missing.StatusCode);
    }

    [Fact]
    public async Task Api_gateway_and_health_routes_are_not_swallowed_by_the_fallback()
    {
        var unknownApi = await Http.GetAsync(At("/api/v10/no/such/route"), TestContext.Current.CancellationToken);
        var health = await Http.GetAsync(At("/health/live"), TestContext.Current.CancellationToken);
        var gatewayOverHttp = await Http.GetAsync(At("/gateway"), TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.NotFound, unknownApi.StatusCode);
        Assert.Equal(0, (await unknownApi.JsonAsync()).GetProperty("code").GetInt32());
        Assert.Equal("Healthy", await health.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
        Assert.Equal(HttpStatusCode.BadRequest, gatewayOverHttp.StatusCode);
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        Directory.Delete(_dist, recursive: true);
    }
}
