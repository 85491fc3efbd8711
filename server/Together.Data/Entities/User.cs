namespace Together.Data.Entities;

public sealed class User
{
    public long Id { get; set; }

    /// <summary>Unique case-insensitively, through <see cref="NormalizedUsername"/>.</summary>
    public required string Username { get; set; }

    public required string NormalizedUsername { get; set; }

    /// <summary>Discord's <c>global_name</c>: the display name, not unique.</summary>
    public string? GlobalName { get; set; }

    public string? Email { get; set; }

    public string? NormalizedEmail { get; set; }

    public required string PasswordHash { get; set; }

    public string? AvatarHash { get; set; }

    public string? BannerHash { get; set; }

    public string? Bio { get; set; }

    public int? AccentColor { get; set; }

    public bool IsBot { get; set; }

    /// <summary>Discord's public user flags bit field.</summary>
    public long Flags { get; set; }

    /// <summary>Set when the account is deleted: the row stays so messages keep an author.</summary>
    public DateTimeOffset? DeletedAt { get; set; }

    public DateTimeOffset CreatedAt { get; set; }
}
