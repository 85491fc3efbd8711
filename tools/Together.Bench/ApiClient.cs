using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Together.Bench;

/// <summary>A registered account: its id and access token.</summary>
internal sealed record Account(string Name, long UserId, string Token);

/// <summary>What the setup creates: a guild, its #general, and who is in it.</summary>
internal sealed record Community(long GuildId, long ChannelId, IReadOnlyList<Account> Members);

/// <summary>
/// REST through one pooled <see cref="HttpClient"/> (keep-alive connections, many per server),
/// speaking only Discord v10 routes plus <c>/auth/register</c>: any server that speaks them works.
/// </summary>
internal sealed class ApiClient : IDisposable
{
    private readonly HttpClient _http;

    public ApiClient(Uri baseUrl)
    {
        var handler = new SocketsHttpHandler
        {
            MaxConnectionsPerServer = 1024,
            PooledConnectionLifetime = Timeout.InfiniteTimeSpan,
            PooledConnectionIdleTimeout = TimeSpan.FromMinutes(5),
            UseCookies = false,
            AutomaticDecompression = DecompressionMethods.None,
            ConnectTimeout = TimeSpan.FromSeconds(10),
        };
        _http = new HttpClient(handler) { BaseAddress = new Uri(baseUrl, "/api/v10/"), Timeout = TimeSpan.FromSeconds(60) };
    }

    public HttpClient Http => _http;

    /// <summary>Registers <paramref name="name"/>; if the name is taken (a rerun against the same server), logs in instead.</summary>
    public async Task<Account> RegisterAsync(string name, string password, CancellationToken cancellationToken)
    {
        using var register = await PostJsonAsync("auth/register", null, Json(w => { w.WriteString("username", name); w.WriteString("password", password); }), cancellationToken);
        if (register.IsSuccessStatusCode)
            return await ReadAccountAsync(name, register, cancellationToken);
        using var login = await PostJsonAsync("auth/login", null, Json(w => { w.WriteString("login", name); w.WriteString("password", password); }), cancellationToken);
        if (!login.IsSuccessStatusCode)
            throw await FailAsync("register/login " + name, register, cancellationToken);
        return await ReadAccountAsync(name, login, cancellationToken);
    }

    private static async Task<Account> ReadAccountAsync(string name, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        using var doc = await ReadAsync(response, cancellationToken);
        var token = doc.RootElement.GetProperty("token").GetString()!;
        // user_id is Together's addition; otherwise ask /users/@me like any Discord client.
        var id = doc.RootElement.TryGetProperty("user_id", out var u) ? Id(u) : 0;
        return new Account(name, id, token);
    }

    public async Task<long> UserIdAsync(Account account, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "users/@me");
        Authorize(request, account.Token);
        using var response = await _http.SendAsync(request, cancellationToken);
        using var doc = await ReadAsync(response, cancellationToken);
        return Id(doc.RootElement.GetProperty("id"));
    }

    /// <summary>Creates a guild; returns its id and its system channel (#general), or the first text channel.</summary>
    public async Task<(long GuildId, long ChannelId)> CreateGuildAsync(Account owner, string name, CancellationToken cancellationToken)
    {
        using var response = await PostJsonAsync("guilds", owner.Token, Json(w => w.WriteString("name", name)), cancellationToken);
        using var doc = await ReadAsync(response, cancellationToken);
        var guildId = Id(doc.RootElement.GetProperty("id"));
        if (doc.RootElement.TryGetProperty("system_channel_id", out var system) && system.ValueKind == JsonValueKind.String)
            return (guildId, Id(system));
        using var request = new HttpRequestMessage(HttpMethod.Get, $"guilds/{guildId}/channels");
        Authorize(request, owner.Token);
        using var channels = await _http.SendAsync(request, cancellationToken);
        using var list = await ReadAsync(channels, cancellationToken);
        var text = list.RootElement.EnumerateArray().First(c => c.GetProperty("type").GetInt32() == 0);
        return (guildId, Id(text.GetProperty("id")));
    }

    public async Task<string> CreateInviteAsync(Account owner, long channelId, CancellationToken cancellationToken)
    {
        using var response = await PostJsonAsync($"channels/{channelId}/invites", owner.Token,
            Json(w => { w.WriteNumber("max_age", 0); w.WriteNumber("max_uses", 0); w.WriteBoolean("unique", true); }), cancellationToken);
        using var doc = await ReadAsync(response, cancellationToken);
        return doc.RootElement.GetProperty("code").GetString()!;
    }

    /// <summary>Joins through an invite. <paramref name="forwardedFor"/> names the member's own address (see ServerHost).</summary>
    public async Task JoinAsync(Account member, string code, string? forwardedFor, CancellationToken cancellationToken)
    {
        for (var attempt = 0; ; attempt++)
        {
            using var request = new HttpRequestMessage(HttpMethod.Post, $"invites/{code}") { Content = new ByteArrayContent([]) };
            Authorize(request, member.Token);
            if (forwardedFor is not null)
                request.Headers.TryAddWithoutValidation("X-Forwarded-For", forwardedFor);
            using var response = await _http.SendAsync(request, cancellationToken);
            if (response.IsSuccessStatusCode)
                return;
            if (response.StatusCode == HttpStatusCode.TooManyRequests && attempt < 100)
            {
                var wait = response.Headers.RetryAfter?.Delta ?? TimeSpan.FromSeconds(1);
                await Task.Delay(wait + TimeSpan.FromMilliseconds(50), cancellationToken);
                continue;
            }
            throw await FailAsync("join " + member.Name, response, cancellationToken);
        }
    }

    public async Task<Uri> GatewayUrlAsync(CancellationToken cancellationToken)
    {
        using var response = await _http.GetAsync(new Uri("gateway", UriKind.Relative), cancellationToken);
        using var doc = await ReadAsync(response, cancellationToken);
        var url = doc.RootElement.GetProperty("url").GetString()!;
        return new Uri(url.TrimEnd('/') + "?v=10&encoding=json");
    }

    /// <summary>A send: <c>{"content":..., "nonce":...}</c> already encoded, so the timed path only sends bytes.</summary>
    public static byte[] MessageBody(string content, string nonce) =>
        Json(w => { w.WriteString("content", content); w.WriteString("nonce", nonce); });

    public async Task<HttpStatusCode> SendMessageAsync(Account sender, long channelId, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, $"channels/{channelId}/messages") { Content = JsonContent(body) };
        Authorize(request, sender.Token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        // Drain the body so the connection returns to the pool.
        await response.Content.CopyToAsync(Stream.Null, cancellationToken);
        return response.StatusCode;
    }

    /// <summary>GET a path (relative to /api/v10/), reading the body; returns the status and the byte count.</summary>
    public async Task<(HttpStatusCode Status, long Bytes)> GetAsync(Account account, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        Authorize(request, account.Token);
        using var response = await _http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        await using var body = await response.Content.ReadAsStreamAsync(cancellationToken);
        var buffer = System.Buffers.ArrayPool<byte>.Shared.Rent(16384);
        long total = 0;
        try
        {
            int n;
            while ((n = await body.ReadAsync(buffer, cancellationToken)) > 0)
                total += n;
        }
        finally
        {
            System.Buffers.ArrayPool<byte>.Shared.Return(buffer);
        }
        return (response.StatusCode, total);
    }

    public async Task<JsonDocument> GetJsonAsync(Account account, string path, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, path);
        Authorize(request, account.Token);
        using var response = await _http.SendAsync(request, cancellationToken);
        return await ReadAsync(response, cancellationToken);
    }

    private async Task<HttpResponseMessage> PostJsonAsync(string path, string? token, byte[] body, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, path) { Content = JsonContent(body) };
        if (token is not null)
            Authorize(request, token);
        return await _http.SendAsync(request, cancellationToken);
    }

    private static ByteArrayContent JsonContent(byte[] body)
    {
        var content = new ByteArrayContent(body);
        content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        return content;
    }

    private static void Authorize(HttpRequestMessage request, string token) =>
        request.Headers.TryAddWithoutValidation("Authorization", "Bearer " + token);

    private static async Task<JsonDocument> ReadAsync(HttpResponseMessage response, CancellationToken cancellationToken)
    {
        if (!response.IsSuccessStatusCode)
            throw await FailAsync(response.RequestMessage?.RequestUri?.ToString() ?? "request", response, cancellationToken);
        await using var stream = await response.Content.ReadAsStreamAsync(cancellationToken);
        return await JsonDocument.ParseAsync(stream, cancellationToken: cancellationToken);
    }

    private static async Task<HttpRequestException> FailAsync(string what, HttpResponseMessage response, CancellationToken cancellationToken)
    {
        var body = await response.Content.ReadAsStringAsync(cancellationToken);
        return new HttpRequestException($"{what}: {(int)response.StatusCode} {body[..Math.Min(body.Length, 300)]}", null, response.StatusCode);
    }

    public static long Id(JsonElement e) =>
        e.ValueKind == JsonValueKind.String ? long.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture) : e.GetInt64();

    private static byte[] Json(Action<Utf8JsonWriter> write)
    {
        using var stream = new MemoryStream();
        using (var writer = new Utf8JsonWriter(stream))
        {
            writer.WriteStartObject();
            write(writer);
            writer.WriteEndObject();
        }
        return stream.ToArray();
    }

    public void Dispose() => _http.Dispose();
}

/// <summary>Registers N accounts and puts them in one guild (the first creates it): the setup every scenario shares.</summary>
internal static class Setup
{
    public static async Task<Community> CommunityAsync(ApiClient api, int members, int parallelism, bool forwardedFor, CancellationToken cancellationToken)
    {
        var run = Convert.ToHexStringLower(BitConverter.GetBytes(Environment.TickCount64 ^ Environment.ProcessId))[..6];
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var accounts = new Account[members];
        await Parallel.ForEachAsync(Enumerable.Range(0, members), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) =>
            {
                var account = await api.RegisterAsync($"bench{run}_{i}", "bench-password-" + run, ct);
                accounts[i] = account.UserId != 0 ? account : account with { UserId = await api.UserIdAsync(account, ct) };
            });
        var registered = clock.Elapsed;
        var (guildId, channelId) = await api.CreateGuildAsync(accounts[0], "bench " + run, cancellationToken);
        var code = await api.CreateInviteAsync(accounts[0], channelId, cancellationToken);
        await Parallel.ForEachAsync(Enumerable.Range(1, members - 1), new ParallelOptions { MaxDegreeOfParallelism = parallelism, CancellationToken = cancellationToken },
            async (i, ct) => await api.JoinAsync(accounts[i], code, forwardedFor ? BenchAddress(i) : null, ct));
        Console.WriteLine($"setup: {members} accounts registered in {registered.TotalSeconds:F1} s, guild joined in {(clock.Elapsed - registered).TotalSeconds:F1} s");
        return new Community(guildId, channelId, accounts);
    }

    // RFC 2544's benchmarking range 198.18.0.0/15: only ever a header value, never a destination.
    private static string BenchAddress(int i) => $"198.18.{(i >> 8) & 0xFF}.{i & 0xFF}";
}
