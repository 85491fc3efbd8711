using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

public sealed record LoginRequest(string? Login, string? Password);

public static class Login
{
    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ApiError>, JsonHttpResult<RateLimitedError>>> Handle(
        LoginRequest body,
        TogetherDb db,
        PasswordHasher hasher,
        SessionService sessions,
        RateLimiter limiter,
        AuthSettings settings,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        var errors = new FormErrors();
        if (string.IsNullOrWhiteSpace(body.Login))
            errors.Required("login");
        if (string.IsNullOrEmpty(body.Password))
            errors.Required("password");
        if (errors.Any)
            return TypedResults.Json(errors.ToApiError(), statusCode: StatusCodes.Status400BadRequest);

        var login = body.Login!.Trim().ToLowerInvariant();
        if (login.Length > 254 || body.Password!.Length > AccountRules.PasswordMaxLength)
            return InvalidLogin();
        // Guessing one account's password from many addresses is limited per account: first by
        // the text typed (this also bounds guesses at accounts that do not exist), then by the
        // account it names, so its username and its email share one budget.
        var perAccount = settings.RateLimits.LoginPerAccount.ToRule();
        if (RateLimitHeaders.Apply(context, limiter.Acquire("auth.login.account", login, perAccount)) is { } limited)
            return limited;

        var user = await db.Users.AsNoTracking()
            .Where(u => u.DeletedAt == null && (u.NormalizedUsername == login || u.NormalizedEmail == login))
            .Select(u => new { u.Id, u.PasswordHash })
            .FirstOrDefaultAsync(cancellationToken);
        if (user is not null
            && RateLimitHeaders.Apply(context, limiter.Acquire("auth.login.user", user.Id.ToString(CultureInfo.InvariantCulture), perAccount)) is { } limitedUser)
            return limitedUser;
        // Unknown accounts are checked against a dummy hash, so timing does not reveal which exist.
        if (!await hasher.VerifyAsync(body.Password, user?.PasswordHash, cancellationToken) || user is null)
            return InvalidLogin();

        if (hasher.NeedsRehash(user.PasswordHash))
        {
            var rehashed = await hasher.HashAsync(body.Password, cancellationToken);
            await db.Users.Where(u => u.Id == user.Id)
                .ExecuteUpdateAsync(u => u.SetProperty(x => x.PasswordHash, rehashed), cancellationToken);
        }
        return TypedResults.Ok(await sessions.StartAsync(user.Id, context, cancellationToken));
    }

    private static JsonHttpResult<ApiError> InvalidLogin()
    {
        var errors = new FormErrors()
            .Add("login", "INVALID_LOGIN", "Login or password is invalid.")
            .Add("password", "INVALID_LOGIN", "Login or password is invalid.");
        return TypedResults.Json(errors.ToApiError(), statusCode: StatusCodes.Status400BadRequest);
    }
}
