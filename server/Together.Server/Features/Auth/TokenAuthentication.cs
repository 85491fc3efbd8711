using System.Security.Claims;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.Extensions.Options;
using Microsoft.IdentityModel.JsonWebTokens;
using Together.Data.Snowflakes;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

/// <summary>
/// Reads the token the way Discord clients send it: <c>Authorization: Bearer &lt;token&gt;</c>,
/// <c>Bot &lt;token&gt;</c> (bot libraries), or the bare token (Discord's own clients). A token whose session was revoked
/// (logout, password change, refresh-token theft) stops working.
/// </summary>
public sealed class TokenAuthenticationHandler(
    IOptionsMonitor<AuthenticationSchemeOptions> options,
    ILoggerFactory logger,
    UrlEncoder encoder,
    TokenService tokens,
    SessionRevocations sessions)
    : AuthenticationHandler<AuthenticationSchemeOptions>(options, logger, encoder)
{
    public const string SchemeName = "Together";

    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers.Authorization.ToString();
        if (string.IsNullOrWhiteSpace(header))
            return AuthenticateResult.NoResult();
        var token = ExtractToken(header);
        if (token is null)
            return AuthenticateResult.Fail("Malformed Authorization header.");
        var identity = await tokens.ValidateAsync(token);
        if (identity is null)
            return AuthenticateResult.Fail("Invalid token.");
        if (!await sessions.IsAliveAsync(identity.Value.SessionId, Context.RequestAborted))
            return AuthenticateResult.Fail("Session revoked.");
        return AuthenticateResult.Success(new AuthenticationTicket(TokenService.ToPrincipal(identity.Value, SchemeName), SchemeName));
    }

    internal static string? ExtractToken(string header)
    {
        var value = header.Trim();
        // discord.js and other bot libraries send "Bot <token>" unless told otherwise.
        if (value.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
            value = value["Bearer ".Length..].Trim();
        else if (value.StartsWith("Bot ", StringComparison.OrdinalIgnoreCase))
            value = value["Bot ".Length..].Trim();
        return value.Length == 0 || value.Contains(' ', StringComparison.Ordinal) ? null : value;
    }

    protected override Task HandleChallengeAsync(AuthenticationProperties properties) =>
        ErrorHandling.WriteAsync(Context, StatusCodes.Status401Unauthorized, new ApiError(ApiErrors.GeneralError, "401: Unauthorized"));

    protected override Task HandleForbiddenAsync(AuthenticationProperties properties) =>
        ErrorHandling.WriteAsync(Context, StatusCodes.Status403Forbidden, new ApiError(ApiErrors.MissingAccess, "Missing Access"));
}

/// <summary>The authenticated caller, bound as a handler parameter.</summary>
public readonly record struct CurrentUser(Snowflake Id, Snowflake SessionId)
{
    public static ValueTask<CurrentUser> BindAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        return ValueTask.FromResult(From(context.User)
            ?? throw new InvalidOperationException("CurrentUser used on a route without RequireAuthorization()."));
    }

    public static CurrentUser? From(ClaimsPrincipal principal)
    {
        ArgumentNullException.ThrowIfNull(principal);
        return Snowflake.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sub), out var id)
            && Snowflake.TryParse(principal.FindFirstValue(JwtRegisteredClaimNames.Sid), out var sid)
                ? new CurrentUser(id, sid)
                : null;
    }
}
