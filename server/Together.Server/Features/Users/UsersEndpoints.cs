using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Snowflakes;
using Together.Server.Features.Auth;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Users;

public static class GetMe
{
    public static async Task<Results<Ok<CurrentUserObject>, JsonHttpResult<ApiError>>> Handle(
        CurrentUser me, TogetherDb db, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == me.Id.Value, cancellationToken);
        return user is null || user.DeletedAt is not null
            ? TypedResults.Json(new ApiError(ApiErrors.GeneralError, "401: Unauthorized"), statusCode: StatusCodes.Status401Unauthorized)
            : TypedResults.Ok(CurrentUserObject.From(user));
    }
}

public static class GetUser
{
    public static async Task<Results<Ok<UserObject>, JsonHttpResult<ApiError>>> Handle(
        Snowflake userId, TogetherDb db, CancellationToken cancellationToken)
    {
        var user = await db.Users.AsNoTracking().SingleOrDefaultAsync(u => u.Id == userId.Value, cancellationToken);
        return user is null
            ? TypedResults.Json(new ApiError(ApiErrors.UnknownUser, "Unknown User"), statusCode: StatusCodes.Status404NotFound)
            : TypedResults.Ok(UserObject.From(user));
    }
}
