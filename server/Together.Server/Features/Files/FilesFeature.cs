using Microsoft.Net.Http.Headers;

namespace Together.Server.Features.Files;

public static class FilesFeature
{
    public static IServiceCollection AddFiles(this IServiceCollection services, IConfiguration configuration)
    {
        var settings = configuration.GetSection("Files").Get<FileSettings>() ?? new FileSettings();
        services.AddSingleton(settings);
        services.AddHttpContextAccessor();
        services.AddSingleton<UploadTemp>();
        if (settings.Store == FileStoreKind.S3)
        {
            services.AddSingleton<S3FileStore>();
            services.AddSingleton<IFileStore>(s => s.GetRequiredService<S3FileStore>());
            services.AddHealthChecks().AddCheck<S3FileStore>("files", tags: ["ready"]);
        }
        else
        {
            services.AddSingleton<DiskFileStore>();
            services.AddSingleton<IFileStore>(s => s.GetRequiredService<DiskFileStore>());
        }
        services.AddSingleton<Images>();
        services.AddSingleton<Avatars>();
        services.AddSingleton<AttachmentUrls>();
        services.AddSingleton<Uploads>();
        services.AddSingleton<FileJanitor>();
        services.AddHostedService(s => s.GetRequiredService<FileJanitor>());
        return services;
    }

    /// <summary>
    /// Room for a base64 image (avatar, icon) in a JSON body, past the 1 MiB every other JSON
    /// body gets: 10 MB of image is about 13.4 MB of base64.
    /// </summary>
    public static RouteHandlerBuilder WithImageBody(this RouteHandlerBuilder route) =>
        route.WithMetadata(new Microsoft.AspNetCore.Mvc.RequestSizeLimitAttribute(14 * 1024 * 1024));

    /// <summary>Discord's CDN paths, at the root like the CDN's; refresh-urls under the API.</summary>
    public static IEndpointRouteBuilder MapFiles(this IEndpointRouteBuilder app)
    {
        app.MapGet("/attachments/{channelId:long}/{attachmentId:long}/{filename}", AttachmentEndpoints.Get)
            .WithTags("Files").WithSummary("An attachment: with its signed URL, or a token that may read the channel.");
        app.MapPost("/api/v10/attachments/refresh-urls", AttachmentEndpoints.Refresh).RequireAuthorization()
            .WithTags("Files").WithSummary("Fresh signed URLs for attachments the caller can still read.");
        app.MapGet("/avatars/{userId:long}/{file}", (string file, int? size, Avatars avatars, HttpContext context, CancellationToken ct) =>
            ServeAvatarAsync(file, size, avatars, context, ct)).WithTags("Files");
        app.MapGet("/icons/{guildId:long}/{file}", (string file, int? size, Avatars avatars, HttpContext context, CancellationToken ct) =>
            ServeAvatarAsync(file, size, avatars, context, ct)).WithTags("Files");
        return app;
    }

    private static async Task<IResult> ServeAvatarAsync(string file, int? size, Avatars avatars, HttpContext context, CancellationToken cancellationToken)
    {
        if (size is { } s && !Avatars.Sizes.Contains(s))
            return Results.Json(new Infrastructure.ApiError(Infrastructure.ApiErrors.InvalidFormBody, "size must be a power of two between 16 and 4096."), statusCode: 400);
        if (await avatars.FileAsync(file, size, cancellationToken) is not { } found)
            return Results.Json(new Infrastructure.ApiError(Infrastructure.ApiErrors.GeneralError, "404: Not Found"), statusCode: 404);
        // Content-addressed: a file under a given hash never changes.
        context.Response.Headers[HeaderNames.CacheControl] = "public, max-age=31536000, immutable";
        context.Response.Headers[HeaderNames.ContentSecurityPolicy] = "default-src 'none'; sandbox";
        return Results.Stream(found.File.Content, found.ContentType, lastModified: found.File.Modified);
    }
}
