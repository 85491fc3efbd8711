using Together.Server.Features.Files;
namespace Together.Server.Features.Users;

public static class UsersFeature
{
    public static IEndpointRouteBuilder MapUsers(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v10/users").WithTags("Users").RequireAuthorization();
        group.MapGet("/@me", GetMe.Handle).WithSummary("The current user, with private fields.");
        group.MapPatch("/@me", ModifyMe.Handle).WithSummary("Change username, display name, email, password or avatar (a data URI).").WithImageBody();
        group.MapGet("/{userId}", GetUser.Handle).WithSummary("A user's public profile.");
        return app;
    }
}
