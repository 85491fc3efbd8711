using System.Text.Json.Serialization.Metadata;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.AspNetCore.Http.Metadata;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Routing.Patterns;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;
using Together.Data;

namespace Together.Server.Tests;

/// <summary>
/// Every route the server maps, found from its own endpoint list (so a new route is covered the
/// day it is added), gets odd values in each of its body's fields, its path parameters and common
/// query parameters. Whatever it answers, it is never a 500 and always Discord's error JSON.
/// </summary>
public abstract class RouteFuzzTests(DatabaseProvider provider) : CommunityTest(provider)
{
    public sealed class OnPostgres() : RouteFuzzTests(DatabaseProvider.Postgres);

    public sealed class OnSqlite() : RouteFuzzTests(DatabaseProvider.Sqlite);

    // Limits that would otherwise turn most of the fuzz into 429s before it reaches a handler.
    protected override IDictionary<string, string?> Settings => new[] { "Register", "Login", "LoginPerAccount", "Refresh", "PasswordCheck" }
        .Select(k => $"Auth:RateLimits:{k}:Limit")
        .Concat(["Invites:RateLimits:Lookup:Limit", "Invites:RateLimits:Accept:Limit"])
        .ToDictionary(k => k, _ => (string?)"1000000");

    // JSON literals, not .NET values: a number past long, an escaped NUL and a lone surrogate
    // cannot be written by a serializer that is well behaved.
    internal static readonly string[] OddValues =
    [
        "null", "-1", "0", "1.5", "1e308", "9223372036854775808", "\"abc\"", "\"\"", "\"-1\"", "\"99999999999999999999\"",
        "\"\\u0000\"", "\"\\ud800\"", "true", "[]", "[null]", "[{}]", "{}", "{\"id\":null}", "\"" + new string('x', 5000) + "\"",
        "\"2999-13-45T99:99:99Z\"", "\"data:image/png;base64,!!\"",
    ];

    // Not %00: Kestrel refuses a NUL in a path with a bare 400 before any application code runs.
    private static readonly string[] OddSegments = ["abc", "-1", "0", "99999999999999999999", "1.5", "%F0%9F%91", "%2F..%2F"];

    private static readonly string[] OddQueries =
    [
        "limit=-1", "limit=abc", "limit=99999999999", "before=abc", "after=-5", "around=1e99", "content=%00", "content=%22%27%5C%28",
        "offset=-1", "author_id=abc", "user_id=-1", "with_counts=maybe", "query=%25",
    ];

    [Fact]
    public async Task No_route_answers_odd_input_with_a_500()
    {
        await SetUpCommunityAsync();
        var roleId = await CreateRoleAsync("fuzzed", "0");
        var message = await (await AliceHttp.PostJsonAsync($"channels/{GeneralId}/messages", new { content = "fuzz me" })).ExpectAsync(HttpStatusCode.OK);
        var invite = await InviteAsync();
        var ids = new Dictionary<string, string>
        {
            ["guildId"] = GuildId, ["channelId"] = GeneralId, ["messageId"] = message.GetProperty("id").GetString()!,
            ["userId"] = Bob.UserId, ["roleId"] = roleId, ["overwriteId"] = roleId, ["code"] = invite,
            ["emoji"] = Uri.EscapeDataString("👍"), ["attachmentId"] = "1", ["filename"] = "a.png", ["file"] = "a.png",
        };
        var json = Server.Services.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        var routes = Server.Services.GetRequiredService<EndpointDataSource>().Endpoints.OfType<RouteEndpoint>()
            .SelectMany(e => (e.Metadata.GetMetadata<IHttpMethodMetadata>()?.HttpMethods ?? []).Select(method => (Method: method, Endpoint: e)))
            .Where(r => r.Endpoint.RoutePattern.RawText is { } raw
                && new[] { "/api/", "/attachments/", "/avatars/", "/icons/" }.Any(prefix => raw.StartsWith(prefix, StringComparison.Ordinal)))
            .OrderBy(r => RunOrder(r.Method, r.Endpoint.RoutePattern.RawText!))
            .ToList();
        Assert.True(routes.Count > 60, $"only {routes.Count} routes found");

        var failures = new List<string>();
        var requests = 0;
        var unauthorized = 0;
        foreach (var (method, endpoint) in routes)
        {
            var pattern = endpoint.RoutePattern;
            string Fill(string? odd = null, string? only = null) => "/" + string.Join('/', pattern.PathSegments.Select(segment =>
                string.Concat(segment.Parts.Select(part => part switch
                {
                    RoutePatternLiteralPart literal => literal.Content,
                    RoutePatternParameterPart p when p.Name == only => odd!,
                    RoutePatternParameterPart p => ids.GetValueOrDefault(p.Name, "1"),
                    _ => "",
                }))));

            async Task Send(string path, string? body)
            {
                requests++;
                using var request = new HttpRequestMessage(new HttpMethod(method), new Uri(Server.Address, path));
                request.Headers.Authorization = new System.Net.Http.Headers.AuthenticationHeaderValue("Bearer", Alice.Token);
                if (body is not null)
                    request.Content = new StringContent(body, System.Text.Encoding.UTF8, "application/json");
                using var response = await Server.Http.SendAsync(request, Cancel);
                var text = await response.Content.ReadAsStringAsync(Cancel);
                if (response.StatusCode == HttpStatusCode.Unauthorized)
                    unauthorized++;
                if ((int)response.StatusCode >= 500)
                    failures.Add($"{method} {path} {Shorten(body)} → {(int)response.StatusCode} {Shorten(text)}");
                else if ((int)response.StatusCode >= 400 && !IsDiscordError(text))
                    failures.Add($"{method} {path} {Shorten(body)} → {(int)response.StatusCode} without Discord's error JSON: {Shorten(text)}");
            }

            var hasBody = method is "POST" or "PUT" or "PATCH";
            var requestType = endpoint.Metadata.GetMetadata<IAcceptsMetadata>()?.RequestType;
            var (fields, asList) = BodyFields(requestType, json);
            if (hasBody)
            {
                foreach (var field in fields)
                {
                    foreach (var value in OddValues)
                    {
                        var body = $"{{\"{field}\":{value}}}";
                        await Send(Fill(), asList ? $"[{body}]" : body);
                    }
                }
                foreach (var raw in new[] { "", "{", "[]", "[null]", "\"text\"", "null", "{\"a\":1}{" })
                    await Send(Fill(), raw);
            }
            foreach (var parameter in pattern.Parameters)
            {
                foreach (var odd in OddSegments)
                    await Send(Fill(odd, parameter.Name), hasBody ? "{}" : null);
            }
            if (method == "GET")
            {
                foreach (var query in OddQueries)
                    await Send(Fill() + "?" + query, null);
            }
        }

        Assert.True(failures.Count == 0, $"{failures.Count} of {requests} requests failed:\n" + string.Join('\n', failures.Take(40)));
        Assert.True(requests > 2500, $"only {requests} requests: the fuzz no longer reaches the routes' fields");
        // Odd refresh tokens and logouts are 401s; many more mean the account was logged out midway and the rest tested nothing.
        Assert.True(unauthorized < 100, $"{unauthorized} of {requests} requests were 401");
    }

    /// <summary>
    /// Deletions after the rest, then the guild's own, so that every other route still finds what
    /// it names; the account's own routes (logout, password) at the very end.
    /// </summary>
    private static int RunOrder(string method, string pattern) => (method, pattern) switch
    {
        (_, _) when pattern.StartsWith("/api/v10/auth/", StringComparison.Ordinal) => 4,
        (_, "/api/v10/users/@me") => 3,
        ("DELETE", "/api/v10/guilds/{guildId}") => 2,
        ("DELETE", _) => 1,
        _ => 0,
    };

    /// <summary>The JSON names of a body type's properties (of its element type for a list body).</summary>
    private static (List<string> Fields, bool AsList) BodyFields(Type? type, JsonSerializerOptions json)
    {
        if (type is null || type == typeof(object))
            return ([], false);
        var info = json.GetTypeInfo(type);
        if (info.Kind == JsonTypeInfoKind.Enumerable && info.ElementType is { } element)
            return (json.GetTypeInfo(element).Properties.Select(p => p.Name).ToList(), true);
        return (info.Properties.Select(p => p.Name).ToList(), false);
    }

    private static bool IsDiscordError(string text)
    {
        try
        {
            using var document = JsonDocument.Parse(text);
            return document.RootElement.ValueKind == JsonValueKind.Object
                && document.RootElement.TryGetProperty("message", out var message) && message.ValueKind == JsonValueKind.String
                && (document.RootElement.TryGetProperty("code", out _) || document.RootElement.TryGetProperty("retry_after", out _));
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static string Shorten(string? text) => text is null ? "" : text.Length <= 160 ? text : text[..160] + "…";
}
