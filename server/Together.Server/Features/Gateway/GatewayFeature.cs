using System.Runtime.CompilerServices;
using Microsoft.AspNetCore.Http.HttpResults;
using Together.Server.Features.Gateway.Handlers;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Gateway;

public sealed record SessionStartLimit(int Total, int Remaining, int ResetAfter, int MaxConcurrency);

public sealed record GatewayUrl(string Url);

public sealed record GatewayBotUrl(string Url, int Shards, SessionStartLimit SessionStartLimit);

/// <summary>The real-time gateway: Discord's protocol (v10, JSON, optional zlib-stream) at <c>/gateway</c>.</summary>
public static class GatewayFeature
{
    public const string Path = "/gateway";

    public static IServiceCollection AddGateway(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Gateway").Get<GatewaySettings>() ?? new GatewaySettings();
        settings.Validate();
        services.AddSingleton(settings);
        services.AddSingleton<SessionRegistry>();
        services.AddSingleton(DispatchLog.For(settings));
        services.AddSingleton<GuildStates>();
        services.AddSingleton<PresenceTracker>();
        services.AddSingleton<PresencePublisher>();
        services.AddSingleton<Dispatcher>();
        services.AddHostedService(provider => provider.GetRequiredService<Dispatcher>());
        // One place knows the event-bus transport: Redis when configured (several instances), else in-process.
        var redis = configuration["Redis:ConnectionString"];
        if (string.IsNullOrWhiteSpace(redis))
            services.AddSingleton<IEventBus, InProcessEventBus>();
        else
            AddRedisEventBus(services, redis);
        services.AddSingleton<GatewayServer>();
        services.AddSingleton<GatewayJanitor>();
        services.AddHostedService(provider => provider.GetRequiredService<GatewayJanitor>());
        services.AddScoped<ReadyBuilder>();
        services.AddSingleton<IOpHandler, Identify>();
        services.AddSingleton<IOpHandler, Resume>();
        services.AddSingleton<IOpHandler, Heartbeat>();
        services.AddSingleton<IOpHandler, PresenceUpdate>();
        services.AddSingleton<IOpHandler, RequestGuildMembers>();
        return services;
    }

    // Its own method, never inlined: compiling a method that names Redis's types loads the Redis
    // client (and its types, ~1.5 MB) into every server, most of which run without Redis.
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void AddRedisEventBus(IServiceCollection services, string connectionString)
    {
        var options = StackExchange.Redis.ConfigurationOptions.Parse(connectionString);
        options.AbortOnConnectFail = false;
        options.ClientName = "together";
        services.AddSingleton<StackExchange.Redis.IConnectionMultiplexer>(_ => StackExchange.Redis.ConnectionMultiplexer.Connect(options));
        services.AddSingleton<RedisEventBus>();
        services.AddSingleton<IEventBus>(provider => provider.GetRequiredService<RedisEventBus>());
        services.AddHostedService(provider => provider.GetRequiredService<RedisEventBus>());
    }

    public static WebApplication MapGateway(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        app.UseWebSockets();
        var api = app.MapGroup("/api/v10").WithTags("Gateway");
        api.MapGet("/gateway", (HttpContext context, GatewaySettings settings) => TypedResults.Ok(new GatewayUrl(PublicUrl(context, settings))))
            .WithSummary("Where to open the WebSocket (append ?v=10&encoding=json).");
        api.MapGet("/gateway/bot", (HttpContext context, GatewaySettings settings) =>
                TypedResults.Ok(new GatewayBotUrl(PublicUrl(context, settings), 1, new SessionStartLimit(1000, 1000, 0, 1))))
            .RequireAuthorization();
        app.Map(Path, Connect).ExcludeFromDescription();
        // First thing on shutdown, before Kestrel waits for open requests: tell every client to
        // reconnect (op 7) and close, so WebSockets end at once and clients resume elsewhere.
        var server = app.Services.GetRequiredService<GatewayServer>();
        app.Lifetime.ApplicationStopping.Register(server.ReconnectAll);
        return app;
    }

    /// <summary>The configured public URL, or the one the client used to reach us, without a query string.</summary>
    public static string PublicUrl(HttpContext context, GatewaySettings settings)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(settings);
        if (!string.IsNullOrWhiteSpace(settings.PublicUrl))
            return settings.PublicUrl.TrimEnd('/');
        var scheme = context.Request.IsHttps ? "wss" : "ws";
        return $"{scheme}://{context.Request.Host}{Path}";
    }

    private static async Task<IResult> Connect(HttpContext context, GatewayServer server, GatewaySettings settings)
    {
        if (!context.WebSockets.IsWebSocketRequest)
            return ApiErrors.Status(StatusCodes.Status400BadRequest, "Bad Request");
        var query = context.Request.Query;
        int? refuse = null;
        if (query.TryGetValue("v", out var version) && version.ToString() is not ("10" or "9"))
            refuse = CloseCode.InvalidApiVersion;
        else if (query.TryGetValue("encoding", out var encoding) && encoding.ToString() != "json")
            refuse = CloseCode.DecodeError;
        var zlib = query.TryGetValue("compress", out var compress) && compress.ToString() == "zlib-stream";
        using var socket = await context.WebSockets.AcceptWebSocketAsync();
        await server.RunAsync(socket, zlib, refuse, PublicUrl(context, settings), context.Abort, context.RequestAborted);
        return Results.Empty;
    }
}
