using System.Text.Json;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Json;
using Microsoft.Extensions.Options;

namespace Together.Server.Infrastructure;

/// <summary>
/// Turns every failure into Discord's JSON error shape: bad bodies and parameters into 4xx with
/// a reason, bodies left empty by routing (404, 405, 415) into JSON, and anything unexpected into
/// a logged 500 that reveals nothing.
/// </summary>
public static partial class ErrorHandling
{
    public static IServiceCollection AddErrorHandling(this IServiceCollection services) =>
        services.Configure<RouteHandlerOptions>(o => o.ThrowOnBadRequest = true);

    public static IApplicationBuilder UseErrorHandling(this IApplicationBuilder app)
    {
        app.Use(async (context, next) =>
        {
            if (NulInQuery(context.Request) is { } field)
            {
                await WriteAsync(context, StatusCodes.Status400BadRequest,
                    new FormErrors().Add(field, "BASE_TYPE_INVALID", "Invalid value.").ToApiError());
                return;
            }
            try
            {
                await next(context);
            }
            catch (BadHttpRequestException ex) when (!context.Response.HasStarted)
            {
                var (status, error) = Describe(ex);
                context.Response.Clear();
                await WriteAsync(context, status, error);
            }
            catch (ApiException ex) when (!context.Response.HasStarted)
            {
                context.Response.Clear();
                if (ex.Error.RetryAfter is { } retryAfter)
                    context.Response.Headers.RetryAfter = Math.Ceiling(retryAfter).ToString(System.Globalization.CultureInfo.InvariantCulture);
                await WriteAsync(context, ex.Status, ex.Error);
            }
            catch (ServiceBusyException) when (!context.Response.HasStarted)
            {
                // Overload is temporary: tell the client when to come back rather than queue forever.
                context.Response.Clear();
                context.Response.Headers.RetryAfter = "1";
                await WriteAsync(context, StatusCodes.Status503ServiceUnavailable,
                    new ApiError(ApiErrors.GeneralError, "503: Service Unavailable"));
            }
            catch (OperationCanceledException) when (context.RequestAborted.IsCancellationRequested)
            {
                // The client went away; there is nobody to answer.
            }
            catch (Exception ex) when (!context.Response.HasStarted)
            {
                var logger = context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Together.Errors");
                logger.LogError(ex, "Unhandled exception on {Method} {Path}", context.Request.Method, context.Request.Path);
                context.Response.Clear();
                await WriteAsync(context, StatusCodes.Status500InternalServerError,
                    new ApiError(ApiErrors.GeneralError, "500: Internal Server Error"));
            }
        });
        app.UseStatusCodePages(async statusContext =>
        {
            var response = statusContext.HttpContext.Response;
            if (response.ContentLength is > 0 || response.ContentType is not null)
                return;
            await WriteAsync(statusContext.HttpContext, response.StatusCode, ForStatus(response.StatusCode));
        });
        return app;
    }

    /// <summary>
    /// The query parameter holding a NUL (<c>%00</c>), if any: no parameter means one, and
    /// PostgreSQL cannot even compare text with it (a search for it would fail as a 500).
    /// </summary>
    private static string? NulInQuery(HttpRequest request)
    {
        if (request.QueryString.Value is not { } raw || !raw.Contains("%00", StringComparison.Ordinal))
            return null;
        foreach (var (key, values) in request.Query)
        {
            if (key.Contains('\0', StringComparison.Ordinal) || values.Any(v => v?.Contains('\0', StringComparison.Ordinal) == true))
                return key.Replace("\0", "", StringComparison.Ordinal);
        }
        return null;
    }

    private static ApiError ForStatus(int status) => status == StatusCodes.Status413PayloadTooLarge
        ? new ApiError(ApiErrors.RequestEntityTooLarge, "Request entity too large")
        : new ApiError(ApiErrors.GeneralError, $"{status}: {ReasonPhrase(status)}");

    internal static (int Status, ApiError Error) Describe(BadHttpRequestException ex)
    {
        if (ex.StatusCode != StatusCodes.Status400BadRequest)
            return (ex.StatusCode, ForStatus(ex.StatusCode));
        if (ex.InnerException is JsonException json)
        {
            // A value of the wrong type names its field; broken syntax (reported by the reader) is 50109.
            var field = FieldFromPath(json.Path);
            var syntax = json.InnerException?.GetType().Name == "JsonReaderException";
            if (field is not null && !syntax)
                return (400, new FormErrors().Add(field, "BASE_TYPE_INVALID", "Invalid value.").ToApiError());
            return (400, new ApiError(ApiErrors.InvalidJson, "The request body contains invalid JSON."));
        }
        if (ex.Message.Contains("body was provided", StringComparison.Ordinal)
            || ex.Message.Contains("Required parameter", StringComparison.Ordinal) && ex.Message.Contains("from the request body", StringComparison.Ordinal))
            return (400, new ApiError(ApiErrors.InvalidJson, "The request body contains invalid JSON."));
        // Route and query values: 'Failed to bind parameter "Snowflake userId" from "abc".'
        var bind = BindFailure().Match(ex.Message);
        if (bind.Success)
            return (400, new FormErrors().Add(JsonNamingPolicy.SnakeCaseLower.ConvertName(bind.Groups["name"].Value),
                bind.Groups["type"].Value == "Snowflake" ? "NUMBER_TYPE_COERCE" : "BASE_TYPE_INVALID",
                bind.Groups["type"].Value == "Snowflake" ? $"Value \"{bind.Groups["value"].Value}\" is not snowflake." : "Invalid value.").ToApiError());
        return (400, new ApiError(ApiErrors.InvalidFormBody, "Invalid Form Body"));
    }

    [GeneratedRegex("""^Failed to bind parameter "(?<type>[\w.?<>]+) (?<name>\w+)" from "(?<value>[^"]{0,64})""", RegexOptions.CultureInvariant)]
    private static partial Regex BindFailure();

    /// <summary>"$.username" → "username"; "$.roles[2]" → "roles.2", as Discord nests its error keys.</summary>
    private static string? FieldFromPath(string? path)
    {
        if (string.IsNullOrEmpty(path) || path == "$")
            return null;
        var trimmed = path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
        return trimmed.Replace("['", ".", StringComparison.Ordinal).Replace("']", "", StringComparison.Ordinal)
            .Replace("[", ".", StringComparison.Ordinal).Replace("]", "", StringComparison.Ordinal).Trim('.');
    }

    public static Task WriteAsync(HttpContext context, int status, ApiError error)
    {
        ArgumentNullException.ThrowIfNull(context);
        context.Response.StatusCode = status;
        var options = context.RequestServices.GetRequiredService<IOptions<JsonOptions>>().Value.SerializerOptions;
        return context.Response.WriteAsJsonAsync(error, options);
    }

    private static string ReasonPhrase(int status) => status switch
    {
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        406 => "Not Acceptable",
        411 => "Length Required",
        413 => "Request Entity Too Large",
        415 => "Unsupported Media Type",
        _ => Microsoft.AspNetCore.WebUtilities.ReasonPhrases.GetReasonPhrase(status) is { Length: > 0 } phrase ? phrase : "Error",
    };
}

/// <summary>A bounded resource is full; the request may be retried shortly (HTTP 503).</summary>
public sealed class ServiceBusyException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>
/// An expected refusal (unknown entity, missing permission, invalid form) thrown from deep in a
/// feature's services; answered with its status and Discord error body, never logged as a fault.
/// </summary>
public sealed class ApiException(int status, ApiError error) : Exception(error?.Message)
{
    public int Status { get; } = status;

    public ApiError Error { get; } = error ?? throw new ArgumentNullException(nameof(error));

    public static ApiException NotFound(int code, string what) => new(StatusCodes.Status404NotFound, new ApiError(code, what));

    public static ApiException MissingAccess() => new(StatusCodes.Status403Forbidden, new ApiError(ApiErrors.MissingAccess, "Missing Access"));

    public static ApiException MissingPermissions() => new(StatusCodes.Status403Forbidden, new ApiError(ApiErrors.MissingPermissions, "Missing Permissions"));

    public static ApiException Invalid(FormErrors errors) => new(StatusCodes.Status400BadRequest, errors?.ToApiError() ?? throw new ArgumentNullException(nameof(errors)));

    public static ApiException Invalid(string field, string code, string message) => Invalid(new FormErrors().Add(field, code, message));

    public static ApiException BadRequest(int code, string message) => new(StatusCodes.Status400BadRequest, new ApiError(code, message));
}
