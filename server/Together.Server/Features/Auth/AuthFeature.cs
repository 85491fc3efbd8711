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
        services.AddAuthentication(TokenAuthenticationHandler.SchemeName)
            .AddScheme<AuthenticationSchemeOptions, TokenAuthenticationHandler>(TokenAuthenticationHandler.SchemeName, null);
        services.AddAuthorization();
        return services;
    }

    public static IEndpointRouteBuilder MapAuth(this IEndpointRouteBuilder app)
    {
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
}
