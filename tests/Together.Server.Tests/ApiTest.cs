using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// Base for integration tests: every test gets its own server and database. A test class is
/// written once as an abstract class, and runs on both providers through two one-line subclasses.
/// </summary>
public abstract class ApiTest(DatabaseProvider provider) : IAsyncLifetime
{
    private RunningServer? _server;

    protected DatabaseProvider Provider { get; } = provider;

    protected RunningServer Server => _server ?? throw new InvalidOperationException("server not started");

    protected HttpClient Http => Server.Http;

    protected static CancellationToken Cancel => TestContext.Current.CancellationToken;

    /// <summary>Configuration this test class needs on top of the defaults.</summary>
    protected virtual IDictionary<string, string?> Settings => new Dictionary<string, string?>();

    public async ValueTask InitializeAsync() => _server = await RunningServer.StartAsync(Provider, Settings);

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
            await _server.DisposeAsync();
        GC.SuppressFinalize(this);
    }

    protected sealed record Account(string Username, string Password, string Token, string RefreshToken, string UserId)
    {
        public HttpClient Client(RunningServer server) => server.NewClient(Token);
    }

    protected async Task<Account> RegisterAsync(string username, string password = "correct horse battery", string? email = null)
    {
        var response = await Http.PostJsonAsync("auth/register", new { username, password, email });
        var body = await response.ExpectAsync(HttpStatusCode.Created);
        return new Account(username, password,
            body.GetProperty("token").GetString()!,
            body.GetProperty("refresh_token").GetString()!,
            body.GetProperty("user_id").GetString()!);
    }
}
