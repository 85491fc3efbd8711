namespace Together.Data.Entities;

/// <summary>
/// One refresh token. A login starts a family (<see cref="FamilyId"/>, which is also the
/// <c>sid</c> claim of its access tokens); every refresh rotates to a new row of the same family.
/// Presenting a rotated token again means it was stolen: the whole family is revoked.
/// </summary>
public sealed class Session
{
    public long Id { get; set; }

    public long FamilyId { get; set; }

    public long UserId { get; set; }

    public User? User { get; set; }

    /// <summary>SHA-256 of the refresh token; the token itself is never stored.</summary>
    public required byte[] TokenHash { get; set; }

    public DateTimeOffset CreatedAt { get; set; }

    public DateTimeOffset ExpiresAt { get; set; }

    public DateTimeOffset? RotatedAt { get; set; }

    public DateTimeOffset? RevokedAt { get; set; }

    public string? UserAgent { get; set; }

    public string? IpAddress { get; set; }
}
