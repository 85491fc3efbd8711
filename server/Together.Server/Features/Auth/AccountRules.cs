using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

/// <summary>Discord's rules for usernames, display names, passwords and emails.</summary>
public static class AccountRules
{
    public const int PasswordMinLength = 8;

    // Long enough for any passphrase, short enough that hashing it is bounded work.
    public const int PasswordMaxLength = 256;

    private static readonly string[] ReservedUsernames = ["everyone", "here", "system", "clyde"];

    /// <summary>The key for case-insensitive uniqueness.</summary>
    public static string NormalizeUsername(string username) => username.Trim().ToLowerInvariant();

    public static string NormalizeEmail(string email) => email.Trim().ToLowerInvariant();

    /// <summary>2–32 of a–z, A–Z, 0–9, '_' and '.', no "..": Discord's current username rules.</summary>
    public static void CheckUsername(string? username, FormErrors errors, string field = "username")
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (username is null)
        {
            errors.Required(field);
            return;
        }
        var value = username.Trim();
        if (value.Length is < 2 or > 32)
        {
            errors.Length(field, 2, 32);
            return;
        }
        if (!value.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '.') || value.Contains("..", StringComparison.Ordinal))
            errors.Add(field, "USERNAME_INVALID_CHARACTERS",
                "Username can only contain letters, numbers, underscores _ and periods . (no two periods in a row).");
        else if (ReservedUsernames.Contains(NormalizeUsername(value)))
            errors.Add(field, "USERNAME_INVALID_CONTAINS", "Username is unavailable.");
    }

    public static void CheckPassword(string? password, FormErrors errors, string field = "password")
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (string.IsNullOrEmpty(password))
            errors.Required(field);
        else if (password.Length < PasswordMinLength)
            errors.Add(field, "PASSWORD_TOO_SHORT", $"Must be at least {PasswordMinLength} characters long.");
        else if (password.Length > PasswordMaxLength)
            errors.Add(field, "BASE_TYPE_MAX_LENGTH", $"Must be {PasswordMaxLength} or fewer in length.");
    }

    public static void CheckEmail(string? email, FormErrors errors, string field = "email")
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (email is null)
            return;
        var value = email.Trim();
        var at = value.IndexOf('@', StringComparison.Ordinal);
        if (value.Length > 254 || at <= 0 || at != value.LastIndexOf('@') || at == value.Length - 1
            || value.Any(char.IsWhiteSpace) || !value[(at + 1)..].Contains('.', StringComparison.Ordinal))
            errors.Add(field, "EMAIL_TYPE_INVALID_EMAIL", "Not a well formed email address.");
    }

    /// <summary>Display name (Discord's global_name): 1–32 characters of anything printable.</summary>
    public static void CheckGlobalName(string? name, FormErrors errors, string field = "global_name")
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (name is null)
            return;
        var value = name.Trim();
        if (value.Length is < 1 or > 32)
            errors.Length(field, 1, 32);
        else if (value.Any(char.IsControl))
            errors.Add(field, "BASE_TYPE_INVALID", "Must not contain control characters.");
    }

    public static string UsernameTaken => "Username is unavailable. Try adding numbers, letters, underscores _ , or periods.";
}
