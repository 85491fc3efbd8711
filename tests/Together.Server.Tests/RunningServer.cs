using System.Net.Http.Headers;
using System.Net.Http.Json;
using System.Text;
using Microsoft.AspNetCore.Builder;
using Together.Data;
using Together.TestSupport;

namespace Together.Server.Tests;

/// <summary>
/// The real server, started in this process on Kestrel at 127.0.0.1 on a free port, against its
/// own database, reached over real HTTP.
/// </summary>
public sealed class RunningServer : IAsyncDisposable
{
    /// <summary>A fixed signing key, so tests can forge tokens the server would accept or not.</summary>
    public static readonly byte[] SigningKey = Enumerable.Range(1, 64).Select(i => (byte)i).ToArray();

    private readonly string _dataDirectory;
    private readonly string[] _args;
    private WebApplication _app;

    private RunningServer(WebApplication app, string[] args, TestDatabase database, string dataDirectory, Uri address)
    {
        _app = app;
        _args = args;
        Database = database;
        _dataDirectory = dataDirectory;
        Address = address;
        Http = NewClient();
    }

    public TestDatabase Database { get; }

    public Uri Address { get; }

    public HttpClient Http { get; }

    public IServiceProvider Services => _app.Services;

    public static async Task<RunningServer> StartAsync(DatabaseProvider provider, IDictionary<string, string?>? settings = null)
    {
        var database = await TestDatabase.CreateAsync(provider);
        var dataDirectory = database.Directory ?? Path.Combine(Path.GetTempPath(), "together-data-" + Guid.NewGuid().ToString("N")[..12]);
        var config = new Dictionary<string, string?>
        {
            ["Urls"] = "http://127.0.0.1:0",
            ["DataDirectory"] = dataDirectory,
            ["Database:Provider"] = provider.ToString(),
            ["Database:ConnectionString"] = database.ConnectionString,
            ["Auth:SigningKey"] = Convert.ToBase64String(SigningKey),
            // bcrypt's minimum cost keeps hundreds of registrations fast; production refuses it.
            ["Auth:BcryptWorkFactor"] = "4",
            ["Auth:AllowWeakPasswordHashing"] = "true",
            // Voice binds one UDP port per server: tests run many servers at once.
            ["Voice:Port"] = "0",
            ["Logging:LogLevel:Default"] = "Warning",
            ["Logging:LogLevel:Microsoft.Hosting.Lifetime"] = "Warning",
            ["Logging:LogLevel:Microsoft.EntityFrameworkCore"] = "Critical",
            ["Logging:LogLevel:Together.Server.Features.Auth.SessionService"] = "Error",
            // The start-up warning about AllowWeakPasswordHashing, once per test server.
            ["Logging:LogLevel:Together.Server.Features.Auth.PasswordHasher"] = "Error",
        };
        foreach (var (key, value) in settings ?? new Dictionary<string, string?>())
            config[key] = value;
        var args = config.Select(kv => $"--{kv.Key}={kv.Value}").ToArray();
        var app = TogetherApp.Create(args);
        await app.StartAsync();
        var address = new Uri(app.Urls.Single());
        return new RunningServer(app, args, database, dataDirectory, address);
    }

    /// <summary>
    /// Stops the server as an operator's restart does (clients get op 7 and their connections
    /// close), runs <paramref name="whileStopped"/>, then starts a new server on the same
    /// database, data folder and HTTP port (so clients and <see cref="Address"/> stay valid).
    /// The voice UDP port is a new one, as after any restart with <c>Voice:Port=0</c>.
    /// </summary>
    public async Task RestartAsync(Func<Task>? whileStopped = null)
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        if (whileStopped is not null)
            await whileStopped();
        _app = TogetherApp.Create([.. _args.Where(a => !a.StartsWith("--Urls=", StringComparison.Ordinal)), $"--Urls=http://{Address.Authority}"]);
        await _app.StartAsync();
    }

    public HttpClient NewClient(string? token = null)
    {
        var client = new HttpClient { BaseAddress = new Uri(Address, "/api/v10/"), Timeout = TimeSpan.FromSeconds(30) };
        if (token is not null)
            client.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return client;
    }

    public async ValueTask DisposeAsync()
    {
        Http.Dispose();
        await _app.StopAsync();
        await _app.DisposeAsync();
        await Database.DisposeAsync();
        if (Database.Directory is null && Directory.Exists(_dataDirectory))
            Directory.Delete(_dataDirectory, recursive: true);
    }
}

/// <summary>HTTP helpers that speak the API's JSON.</summary>
public static class Api
{
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
    };

    public static Task<HttpResponseMessage> PostJsonAsync(this HttpClient client, string path, object body) =>
        client.PostAsJsonAsync(path, body, Json, TestContext.Current.CancellationToken);

    public static Task<HttpResponseMessage> PatchJsonAsync(this HttpClient client, string path, object body) =>
        client.PatchAsJsonAsync(path, body, Json, TestContext.Current.CancellationToken);

    public static async Task<HttpResponseMessage> SendRawAsync(this HttpClient client, HttpMethod method, string path, string body, string contentType = "application/json")
    {
        using var request = new HttpRequestMessage(method, path) { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = MediaTypeHeaderValue.Parse(contentType);
        return await client.SendAsync(request, TestContext.Current.CancellationToken);
    }

    public static async Task<JsonElement> JsonAsync(this HttpResponseMessage response)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.False(string.IsNullOrEmpty(text), $"HTTP {(int)response.StatusCode} had an empty body");
        return JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>Asserts the status, then returns the JSON body (showing it when the status is wrong).</summary>
    public static async Task<JsonElement> ExpectAsync(this HttpResponseMessage response, HttpStatusCode status)
    {
        var text = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);
        Assert.True(response.StatusCode == status, $"expected {(int)status}, got {(int)response.StatusCode}: {text}");
        return text.Length == 0 ? default : JsonDocument.Parse(text).RootElement.Clone();
    }

    /// <summary>The error codes Discord puts under <c>errors.{field}._errors[].code</c>.</summary>
    public static IEnumerable<string> FieldErrorCodes(this JsonElement error, string field) =>
        error.GetProperty("errors").GetProperty(field).GetProperty("_errors").EnumerateArray()
            .Select(e => e.GetProperty("code").GetString()!);
}
