using System.Text.Json.Serialization;

namespace Together.Server.Infrastructure;

/// <summary>Discord's JSON error body: <c>{code, message, errors?}</c>.</summary>
public sealed record ApiError(
    int Code,
    string Message,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyDictionary<string, FieldErrors>? Errors = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] double? RetryAfter = null,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Global = null);

/// <summary>One field's errors, in Discord's <c>{"field": {"_errors": [...]}}</c> shape.</summary>
public sealed record FieldErrors([property: JsonPropertyName("_errors")] IReadOnlyList<FieldError> Items);

public sealed record FieldError(string Code, string Message);

/// <summary>Discord's JSON error codes and the errors routes return.</summary>
public static class ApiErrors
{
    public const int GeneralError = 0;
    public const int UnknownChannel = 10003;
    public const int UnknownGuild = 10004;
    public const int UnknownInvite = 10006;
    public const int UnknownMember = 10007;
    public const int UnknownMessage = 10008;
    public const int UnknownOverwrite = 10009;
    public const int UnknownRole = 10011;
    public const int UnknownUser = 10013;
    public const int UnknownEmoji = 10014;
    public const int UnknownBan = 10026;
    public const int SlowmodeRateLimited = 20016;
    public const int MaximumGuilds = 30001;
    public const int MaximumReactions = 30010;
    public const int MaximumPins = 30003;
    public const int MaximumRoles = 30005;
    public const int MaximumChannels = 30013;
    public const int UserBanned = 40007;
    public const int CannotSendInNonTextChannel = 50008;
    public const int MissingPermissions = 50013;
    public const int MessageTooOldToBulkDelete = 50034;
    public const int CannotExecuteOnSystemMessage = 50021;
    public const int CannotExecuteOnChannelType = 50024;
    public const int InvalidRole = 50028;
    public const int InvalidGuild = 50055;
    public const int RequestEntityTooLarge = 40005;
    public const int MissingAccess = 50001;
    public const int InvalidAuthenticationToken = 50014;
    public const int InvalidFormBody = 50035;
    public const int InvalidJson = 50109;

    public static IResult Status(int status, string reason) =>
        Results.Json(new ApiError(GeneralError, $"{status}: {reason}"), statusCode: status);

    public static IResult NotFound(int code, string message) =>
        Results.Json(new ApiError(code, message), statusCode: StatusCodes.Status404NotFound);

    public static IResult Unauthorized() => Status(StatusCodes.Status401Unauthorized, "Unauthorized");

    public static IResult InvalidToken() =>
        Results.Json(new ApiError(InvalidAuthenticationToken, "Invalid authentication token provided."), statusCode: StatusCodes.Status401Unauthorized);

    public static IResult Validation(FormErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        return Results.Json(errors.ToApiError(), statusCode: StatusCodes.Status400BadRequest);
    }
}

/// <summary>Collects field errors for one request, then becomes a 50035 Invalid Form Body.</summary>
public sealed class FormErrors
{
    private readonly Dictionary<string, List<FieldError>> _fields = new(StringComparer.Ordinal);

    public bool Any => _fields.Count > 0;

    public FormErrors Add(string field, string code, string message)
    {
        if (!_fields.TryGetValue(field, out var list))
            _fields[field] = list = [];
        list.Add(new FieldError(code, message));
        return this;
    }

    public FormErrors Required(string field) => Add(field, "BASE_TYPE_REQUIRED", "This field is required");

    public FormErrors Length(string field, int min, int max) =>
        Add(field, "BASE_TYPE_BAD_LENGTH", $"Must be between {min} and {max} in length.");

    public ApiError ToApiError() => new(
        ApiErrors.InvalidFormBody,
        "Invalid Form Body",
        _fields.ToDictionary(f => f.Key, f => new FieldErrors(f.Value), StringComparer.Ordinal));
}
