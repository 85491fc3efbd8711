using Microsoft.Extensions.FileProviders;
using Microsoft.Net.Http.Headers;

namespace Together.Server.Features.WebClient;

/// <summary>
/// Serves the built web client (clients/web/dist) at <c>/</c>, with every other non-API path
/// falling back to index.html so the client's own routes survive a reload.
/// </summary>
public static class WebClientFeature
{
    // The app shell may only load what it ships with and talk to this server (REST and gateway).
    private const string ContentSecurityPolicy =
        "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; " +
        "media-src 'self' blob:; connect-src 'self' ws: wss:; font-src 'self'; object-src 'none'; base-uri 'none'; " +
        "frame-ancestors 'none'; form-action 'self'";

    public static WebApplication MapWebClient(this WebApplication app)
    {
        ArgumentNullException.ThrowIfNull(app);
        var root = Locate(app.Configuration["WebClient:Path"]);
        if (root is null)
        {
            app.Logger.LogInformation("The web client is not built (no clients/web/dist/index.html); serving the API only. ./scripts/run.sh builds it.");
            app.MapGet("/", () => Results.Text(
                "Together is running. The web client has not been built: run ./scripts/run.sh (it builds clients/web), " +
                "or browse the API reference at /docs.\n", "text/plain")).ExcludeFromDescription();
            return app;
        }
        var files = new PhysicalFileProvider(root);
        app.UseDefaultFiles(new DefaultFilesOptions { FileProvider = files });
        var staticFiles = new StaticFileOptions
        {
            FileProvider = files,
            OnPrepareResponse = context =>
            {
                var headers = context.Context.Response.Headers;
                // Vite fingerprints everything under assets/; the shell and the service worker must revalidate.
                headers.CacheControl = context.File.PhysicalPath?.Contains($"{Path.DirectorySeparatorChar}assets{Path.DirectorySeparatorChar}", StringComparison.Ordinal) == true
                    ? "public, max-age=31536000, immutable"
                    : "no-cache";
                if (context.File.Name.EndsWith(".html", StringComparison.OrdinalIgnoreCase))
                    headers[HeaderNames.ContentSecurityPolicy] = ContentSecurityPolicy;
            },
        };
        app.UseStaticFiles(staticFiles);
        // Paths that look like files (assets/app.js) are never the shell: a missing file is a 404.
        app.MapFallbackToFile("{*path:nonfile:regex(^(?!api/|gateway|health/|openapi/|docs).*$)}", "index.html", staticFiles);
        return app;
    }

    /// <summary>The configured folder, else clients/web/dist found from the working directory or the binary upwards.</summary>
    private static string? Locate(string? configured)
    {
        if (!string.IsNullOrWhiteSpace(configured))
            return File.Exists(Path.Combine(configured, "index.html")) ? Path.GetFullPath(configured) : null;
        foreach (var start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                var candidate = Path.Combine(dir.FullName, "clients", "web", "dist");
                if (File.Exists(Path.Combine(candidate, "index.html")))
                    return candidate;
            }
        return null;
    }
}
