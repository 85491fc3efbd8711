using Microsoft.AspNetCore.Http.HttpResults;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

public sealed record RefreshRequest(string? RefreshToken);

public static class Refresh
{
    public static async Task<Results<Ok<TokenResponse>, JsonHttpResult<ApiError>>> Handle(
        RefreshRequest body, SessionService sessions, HttpContext context, CancellationToken cancellationToken)
    {
        if (string.IsNullOrEmpty(body.RefreshToken))
            return TypedResults.Json(new FormErrors().Required("refresh_token").ToApiError(), statusCode: StatusCodes.Status400BadRequest);
        var response = await sessions.RefreshAsync(body.RefreshToken, context, cancellationToken);
        return response is null
            ? TypedResults.Json(new ApiError(ApiErrors.InvalidAuthenticationToken, "Invalid authentication token provided."), statusCode: StatusCodes.Status401Unauthorized)
            : TypedResults.Ok(response);
    }
}

public static class Logout
{
    /// <summary>Ends the caller's session family: its refresh token and access tokens stop working.</summary>
    public static async Task<NoContent> Handle(CurrentUser user, SessionService sessions, CancellationToken cancellationToken)
    {
        await sessions.RevokeFamilyAsync(user.SessionId, cancellationToken);
        return TypedResults.NoContent();
    }
}
