using System.Net;
using Microsoft.AspNetCore.HttpOverrides;
using Together.Data.Snowflakes;

namespace Together.Server.Infrastructure;

/// <summary>What every feature relies on: configuration, JSON, errors, ids, time, proxies.</summary>
public static class Core
{
    /// <summary>
    /// appsettings.json, then environment variables prefixed <c>TOGETHER__</c>
    /// (<c>TOGETHER__Database__Provider=Postgres</c>), then the command line, each overriding the last.
    /// </summary>
    public static void AddTogetherConfiguration(this WebApplicationBuilder builder, string[] args)
    {
        ArgumentNullException.ThrowIfNull(builder);
        builder.Configuration.AddEnvironmentVariables("TOGETHER__");
        builder.Configuration.AddCommandLine(args);
    }

    public static IServiceCollection AddCore(this IServiceCollection services, IConfiguration configuration, IWebHostBuilder webHost, DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(webHost);
        var maxBody = configuration.GetValue<long?>("Limits:MaxJsonBodyBytes") ?? 1024 * 1024;
        webHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            // JSON routes need little; upload routes raise their own limit.
            kestrel.Limits.MaxRequestBodySize = maxBody;
        });

        services.AddSingleton(data);
        services.AddSingleton(TimeProvider.System);
        services.AddSingleton(provider => new SnowflakeGenerator(
            provider.GetRequiredService<TimeProvider>(),
            configuration.GetValue("Snowflake:WorkerId", 0),
            configuration.GetValue("Snowflake:ProcessId", Environment.ProcessId % 32)));
        services.AddSingleton<RateLimiter>();
        services.AddJson();
        services.AddErrorHandling();

        var proxies = configuration.GetSection("Network:TrustedProxies").Get<string[]>() ?? [];
        services.Configure<ForwardedHeadersOptions>(options =>
        {
            options.ForwardedHeaders = ForwardedHeaders.XForwardedFor | ForwardedHeaders.XForwardedProto;
            options.KnownIPNetworks.Clear();
            options.KnownProxies.Clear();
            foreach (var proxy in proxies)
                options.KnownProxies.Add(IPAddress.Parse(proxy));
        });
        return services;
    }

    public static WebApplication UseCore(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        // Client addresses (rate limits, sessions) come from X-Forwarded-For only via a trusted proxy.
        app.UseForwardedHeaders();
        app.Use((context, next) =>
        {
            // Browsers must never guess a content type: responses are what they say they are.
            context.Response.Headers.XContentTypeOptions = "nosniff";
            return next(context);
        });
        app.UseErrorHandling();
        app.UseAuthentication();
        app.UseAuthorization();
        return app;
    }
}
