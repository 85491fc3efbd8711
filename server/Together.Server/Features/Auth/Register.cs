using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

public sealed record RegisterRequest(string? Username, string? Password, string? Email, string? GlobalName);

public static class Register
{
    public static async Task<Results<Created<TokenResponse>, JsonHttpResult<ApiError>>> Handle(
        RegisterRequest body,
        TogetherDb db,
        PasswordHasher hasher,
        SessionService sessions,
        SnowflakeGenerator ids,
        TimeProvider time,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        var errors = new FormErrors();
        AccountRules.CheckUsername(body.Username, errors);
        AccountRules.CheckPassword(body.Password, errors);
        AccountRules.CheckEmail(body.Email, errors);
        AccountRules.CheckGlobalName(body.GlobalName, errors);
        if (errors.Any)
            return Invalid(errors);

        var username = body.Username!.Trim();
        var normalized = AccountRules.NormalizeUsername(username);
        var email = body.Email?.Trim();
        var normalizedEmail = email is null ? null : AccountRules.NormalizeEmail(email);
        if (await db.Users.AnyAsync(u => u.NormalizedUsername == normalized, cancellationToken))
            return Invalid(errors.Add("username", "USERNAME_ALREADY_TAKEN", AccountRules.UsernameTaken));
        if (normalizedEmail is not null && await db.Users.AnyAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken))
            return Invalid(errors.Add("email", "EMAIL_ALREADY_REGISTERED", "Email is already registered."));

        var user = new User
        {
            Id = ids.Next(),
            Username = username,
            NormalizedUsername = normalized,
            GlobalName = body.GlobalName?.Trim(),
            Email = email,
            NormalizedEmail = normalizedEmail,
            PasswordHash = await hasher.HashAsync(body.Password!, cancellationToken),
            CreatedAt = time.GetUtcNow(),
        };
        db.Users.Add(user);
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Two registrations raced for one name or email; the unique indexes let one win.
            db.ChangeTracker.Clear();
            if (await db.Users.AnyAsync(u => u.NormalizedUsername == normalized, cancellationToken))
                return Invalid(new FormErrors().Add("username", "USERNAME_ALREADY_TAKEN", AccountRules.UsernameTaken));
            if (normalizedEmail is not null && await db.Users.AnyAsync(u => u.NormalizedEmail == normalizedEmail, cancellationToken))
                return Invalid(new FormErrors().Add("email", "EMAIL_ALREADY_REGISTERED", "Email is already registered."));
            throw;
        }
        db.ChangeTracker.Clear();
        var response = await sessions.StartAsync(user.Id, context, cancellationToken);
        return TypedResults.Created($"/api/v10/users/{user.Id}", response);
    }

    private static JsonHttpResult<ApiError> Invalid(FormErrors errors) =>
        TypedResults.Json(errors.ToApiError(), statusCode: StatusCodes.Status400BadRequest);
}
