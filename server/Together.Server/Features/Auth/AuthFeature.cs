using Microsoft.AspNetCore.Authentication;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

public static class AuthFeature
{
    public static IServiceCollection AddAuth(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Auth").Get<AuthSettings>() ?? new AuthSettings();
        settings.Validate();
        services.AddSingleton(settings);
        services.AddSingleton<PasswordHasher>();
        services.AddSingleton<SigningKeyStore>();
        services.AddSingleton<TokenService>();
        services.AddSingleton<SessionRevocations>();
        services.AddScoped<SessionService>();
        // The core services only: AddAuthentication would also add data protection, whose key ring
        // (XML, loaded at start-up) nothing here uses: tokens are signed by SigningKeyStore.
        services.AddAuthenticationCore(options => options.DefaultScheme = TokenAuthenticationHandler.SchemeName);
        services.AddWebEncoders();
        new AuthenticationBuilder(services)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }

    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
        WarnIfHashingIsWeak(app.ServiceProvider);
        var group = app.MapGroup("/api/v10/auth").WithTags("Auth");
        group.MapPost("/register", Register.Handle)
            .RateLimitPerIp("auth.register", s => s.GetRequiredService<AuthSettings>().RateLimits.Register.ToRule())
            .WithSummary("Create an account and start a session.");
        group.MapPost("/login", Login.Handle)
            .RateLimitPerIp("auth.login", s => s.GetRequiredService<AuthSettings>().RateLimits.Login.ToRule())
            .WithSummary("Log in with a username or email and a password.");
        group.MapPost("/refresh", Refresh.Handle)
            .RateLimitPerIp("auth.refresh", s => s.GetRequiredService<AuthSettings>().RateLimits.Refresh.ToRule())
            .WithSummary("Exchange a refresh token for new tokens; the old refresh token stops working.");
        group.MapPost("/logout", Logout.Handle)
            .RequireAuthorization()
            .WithSummary("End the current session.");
        return app;
    }

    // Said once at start-up, where an admin reads the log: a production server must never run so.
    private static void WarnIfHashingIsWeak(IServiceProvider services)
    {
        var settings = services.GetRequiredService<AuthSettings>();
        if (!settings.AllowWeakPasswordHashing)
            return;
        services.GetRequiredService<ILogger<PasswordHasher>>().LogWarning(
            "Auth:AllowWeakPasswordHashing is on (bcrypt work factor {WorkFactor}): this is for tests and benchmarks only; "
            + "password hashes made below work factor 10 are cheap to crack. Remove the setting in production.",
            settings.BcryptWorkFactor);
    }
}
