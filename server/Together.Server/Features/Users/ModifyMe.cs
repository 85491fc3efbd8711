using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Server.Features.Auth;
using Together.Server.Features.Files;
using Together.Server.Features.Gateway;
using Together.Server.Features.Members;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Users;

/// <summary>
/// <c>PATCH /users/@me</c>. Fields left out stay as they are; <c>global_name: null</c> clears the
/// display name, so presence is tracked with <see cref="JsonElement"/> rather than nullability.
/// Changing the username, email or password needs the current <c>password</c>, as on Discord.
/// </summary>
public sealed record ModifyMeRequest(
    string? Username,
    JsonElement GlobalName,
    JsonElement Email,
    string? Password,
    string? NewPassword,
    JsonElement Avatar);

public static class ModifyMe
{
    public static async Task<Results<Ok<CurrentUserObject>, JsonHttpResult<ApiError>, JsonHttpResult<RateLimitedError>>> Handle(
        ModifyMeRequest body,
        CurrentUser me,
        TogetherDb db,
        PasswordHasher hasher,
        SessionService sessions,
        IEventBus events,
        Avatars avatars,
        TimeProvider time,
        RateLimiter limiter,
        AuthSettings settings,
        HttpContext context,
        CancellationToken cancellationToken)
    {
        var user = await db.Users.SingleOrDefaultAsync(u => u.Id == me.Id.Value && u.DeletedAt == null, cancellationToken);
        if (user is null)
            return TypedResults.Json(new ApiError(ApiErrors.GeneralError, "401: Unauthorized"), statusCode: StatusCodes.Status401Unauthorized);

        var errors = new FormErrors();
        var globalName = OptionalString(body.GlobalName, "global_name", errors);
        var email = OptionalString(body.Email, "email", errors);
        var avatar = OptionalString(body.Avatar, "avatar", errors);
        if (body.Username is not null)
            AccountRules.CheckUsername(body.Username, errors);
        if (globalName.Present)
            AccountRules.CheckGlobalName(globalName.Value, errors);
        if (email.Present)
            AccountRules.CheckEmail(email.Value, errors);
        if (body.NewPassword is not null)
            AccountRules.CheckPassword(body.NewPassword, errors, "new_password");
        if (errors.Any)
            return Invalid(errors);

        var usernameChanges = body.Username is not null && body.Username.Trim() != user.Username;
        var emailChanges = email.Present && email.Value?.Trim() != user.Email;
        var passwordChanges = body.NewPassword is not null;
        if (usernameChanges || emailChanges || passwordChanges)
        {
            if (string.IsNullOrEmpty(body.Password))
                return Invalid(errors.Add("password", "PASSWORD_DOES_NOT_MATCH", "Password does not match."));
            // A stolen access token must not become a way to guess the password (and so to take
            // the account over): each check counts against the account, as logins do.
            var check = limiter.Acquire("users.password_check", user.Id.ToString(CultureInfo.InvariantCulture),
                settings.RateLimits.PasswordCheck.ToRule());
            if (RateLimitHeaders.Apply(context, check) is { } limited)
                return limited;
            if (body.Password.Length > AccountRules.PasswordMaxLength
                || !await hasher.VerifyAsync(body.Password, user.PasswordHash, cancellationToken))
                return Invalid(errors.Add("password", "PASSWORD_DOES_NOT_MATCH", "Password does not match."));
        }

        if (usernameChanges)
        {
            var normalized = AccountRules.NormalizeUsername(body.Username!);
            if (normalized != user.NormalizedUsername
                && await db.Users.AnyAsync(u => u.NormalizedUsername == normalized, cancellationToken))
                return Invalid(errors.Add("username", "USERNAME_ALREADY_TAKEN", AccountRules.UsernameTaken));
            user.Username = body.Username!.Trim();
            user.NormalizedUsername = normalized;
        }
        if (emailChanges)
        {
            var normalized = email.Value is null ? null : AccountRules.NormalizeEmail(email.Value);
            if (normalized is not null && await db.Users.AnyAsync(u => u.NormalizedEmail == normalized && u.Id != user.Id, cancellationToken))
                return Invalid(errors.Add("email", "EMAIL_ALREADY_REGISTERED", "Email is already registered."));
            user.Email = email.Value?.Trim();
            user.NormalizedEmail = normalized;
        }
        if (globalName.Present)
            user.GlobalName = globalName.Value?.Trim();
        // A data URI sets it, null removes it (the old file goes with the janitor's sweep).
        if (avatar.Present)
            user.AvatarHash = avatar.Value is null ? null : await avatars.SaveAsync(avatar.Value, "avatar", cancellationToken);
        if (passwordChanges)
            user.PasswordHash = await hasher.HashAsync(body.NewPassword!, cancellationToken);

        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // Lost a race for the same username or email to another request.
            return Invalid(new FormErrors().Add(usernameChanges ? "username" : "email", "ALREADY_TAKEN", "Already taken."));
        }
        if (passwordChanges)
            await sessions.RevokeOtherFamiliesAsync(user.Id, me.SessionId, cancellationToken);
        var updated = CurrentUserObject.From(user);
        events.Publish(GuildEvents.UserUpdate(updated));
        // Everyone who shares a server sees the new name or avatar at once, as on Discord: a
        // GUILD_MEMBER_UPDATE per guild carries the user.
        if (usernameChanges || globalName.Present || avatar.Present)
        {
            var memberships = await db.GuildMembers.AsNoTracking().Include(m => m.Roles)
                .Where(m => m.UserId == user.Id).ToListAsync(cancellationToken);
            var publicUser = UserObject.From(user);
            foreach (var membership in memberships)
                events.Publish(GuildEvents.MemberUpdate(membership.GuildId, MemberObject.From(membership, publicUser, time)));
        }
        return TypedResults.Ok(updated);
    }

    /// <summary>Absent, explicit null, or a string; anything else is a form error.</summary>
    private static (bool Present, string? Value) OptionalString(JsonElement element, string field, FormErrors errors)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.Undefined:
                return (false, null);
            case JsonValueKind.Null:
                return (true, null);
            case JsonValueKind.String:
                return (true, element.GetString());
            default:
                errors.Add(field, "BASE_TYPE_STRING", "Could not interpret value as string.");
                return (false, null);
        }
    }

    private static JsonHttpResult<ApiError> Invalid(FormErrors errors) =>
        TypedResults.Json(errors.ToApiError(), statusCode: StatusCodes.Status400BadRequest);
}
