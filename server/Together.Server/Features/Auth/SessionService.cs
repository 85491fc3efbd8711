using System.Security.Cryptography;
using Microsoft.EntityFrameworkCore;
using Microsoft.Extensions.Caching.Memory;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;

namespace Together.Server.Features.Auth;

/// <summary>What a client receives on register, login and refresh.</summary>
public sealed record TokenResponse(string Token, string RefreshToken, int ExpiresIn, Snowflake UserId);

/// <summary>
/// Session families and refresh-token rotation. The refresh token is 32 random bytes; only its
/// SHA-256 is stored, so a database leak does not leak sessions.
/// </summary>
public sealed class SessionService(
    TogetherDb db,
    TokenService tokens,
    SessionRevocations revocations,
    Gateway.IEventBus events,
    SnowflakeGenerator ids,
    AuthSettings settings,
    TimeProvider time,
    ILogger<SessionService> logger)
{
    /// <summary>Starts a new session family for a user who just proved who they are.</summary>
    public async Task<TokenResponse> StartAsync(Snowflake userId, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var familyId = ids.Next();
        var (token, row) = NewToken(userId, familyId, context);
        db.Sessions.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        return Respond(userId, familyId, token);
    }

    /// <summary>
    /// Rotates a refresh token. Null when the token is unknown, expired or revoked. A token that
    /// was already rotated is a stolen token being replayed (or the thief's copy racing the real
    /// client): the whole family is revoked, logging out both.
    /// </summary>
    public async Task<TokenResponse?> RefreshAsync(string refreshToken, HttpContext context, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (!TryHash(refreshToken, out var hash))
            return null;
        var current = await db.Sessions.AsNoTracking().SingleOrDefaultAsync(s => s.TokenHash == hash, cancellationToken);
        if (current is null || current.RevokedAt is not null)
            return null;
        var now = time.GetUtcNow();
        if (current.RotatedAt is not null)
        {
            await RevokeFamilyAsync(current.FamilyId, cancellationToken);
            logger.LogWarning("Refresh token reuse for user {UserId}: session family {FamilyId} revoked", current.UserId, current.FamilyId);
            return null;
        }
        if (current.ExpiresAt <= now)
            return null;

        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        // Only one caller can flip rotated_at from null: a concurrent replay loses here.
        var claimed = await db.Sessions
            .Where(s => s.Id == current.Id && s.RotatedAt == null && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RotatedAt, now), cancellationToken);
        if (claimed == 0)
        {
            await transaction.RollbackAsync(cancellationToken);
            await RevokeFamilyAsync(current.FamilyId, cancellationToken);
            logger.LogWarning("Concurrent refresh token reuse for user {UserId}: session family {FamilyId} revoked", current.UserId, current.FamilyId);
            return null;
        }
        var (token, row) = NewToken(current.UserId, current.FamilyId, context);
        db.Sessions.Add(row);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        return Respond(current.UserId, current.FamilyId, token);
    }

    public async Task RevokeFamilyAsync(long familyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var userId = await db.Sessions.Where(s => s.FamilyId == familyId).Select(s => (long?)s.UserId).FirstOrDefaultAsync(cancellationToken);
        await db.Sessions.Where(s => s.FamilyId == familyId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), cancellationToken);
        revocations.Forget(familyId);
        if (userId is { } owner)
            events.Publish(Gateway.Events.AuthSessionRevoked(owner, familyId));
    }

    /// <summary>Logs a user out everywhere but <paramref name="keepFamilyId"/> (after a password change).</summary>
    public async Task RevokeOtherFamiliesAsync(long userId, long keepFamilyId, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        var families = await db.Sessions
            .Where(s => s.UserId == userId && s.FamilyId != keepFamilyId && s.RevokedAt == null)
            .Select(s => s.FamilyId).Distinct().ToListAsync(cancellationToken);
        await db.Sessions.Where(s => s.UserId == userId && s.FamilyId != keepFamilyId && s.RevokedAt == null)
            .ExecuteUpdateAsync(s => s.SetProperty(x => x.RevokedAt, now), cancellationToken);
        foreach (var family in families)
        {
            revocations.Forget(family);
            events.Publish(Gateway.Events.AuthSessionRevoked(userId, family));
        }
    }

    private (string Token, Session Row) NewToken(long userId, long familyId, HttpContext context)
    {
        var raw = RandomNumberGenerator.GetBytes(32);
        var token = Base64Url(raw);
        var now = time.GetUtcNow();
        var userAgent = context.Request.Headers.UserAgent.ToString();
        return (token, new Session
        {
            Id = ids.Next(),
            FamilyId = familyId,
            UserId = userId,
            TokenHash = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token)),
            CreatedAt = now,
            ExpiresAt = now + settings.RefreshTokenLifetime,
            UserAgent = userAgent.Length > 512 ? userAgent[..512] : userAgent,
            IpAddress = context.Connection.RemoteIpAddress?.ToString(),
        });
    }

    private TokenResponse Respond(Snowflake userId, Snowflake familyId, string refreshToken) =>
        new(tokens.Issue(userId, familyId), refreshToken, (int)tokens.Lifetime.TotalSeconds, userId);

    private static bool TryHash(string? token, out byte[] hash)
    {
        hash = [];
        // 32 bytes in unpadded base64url are 43 characters; anything else was never issued.
        if (token is null || token.Length != 43)
            return false;
        foreach (var c in token)
            if (!(char.IsAsciiLetterOrDigit(c) || c is '-' or '_'))
                return false;
        hash = SHA256.HashData(System.Text.Encoding.ASCII.GetBytes(token));
        return true;
    }

    private static string Base64Url(byte[] bytes) =>
        Convert.ToBase64String(bytes).TrimEnd('=').Replace('+', '-').Replace('/', '_');
}

/// <summary>
/// Answers "is this session family still alive?" for every authenticated request without a
/// query each time: answers are cached briefly, and revocations made by this process drop the
/// cache entry at once. Another instance sees a revocation within <see cref="AuthSettings.SessionCheckInterval"/>.
/// </summary>
public sealed class SessionRevocations(IServiceScopeFactory scopes, AuthSettings settings) : IDisposable
{
    private readonly MemoryCache _alive = new(new MemoryCacheOptions { SizeLimit = 100_000 });

    public async ValueTask<bool> IsAliveAsync(long familyId, CancellationToken cancellationToken)
    {
        if (_alive.TryGetValue(familyId, out bool alive))
            return alive;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        alive = await db.Sessions.AnyAsync(s => s.FamilyId == familyId && s.RevokedAt == null, cancellationToken);
        _alive.Set(familyId, alive, new MemoryCacheEntryOptions { Size = 1, AbsoluteExpirationRelativeToNow = settings.SessionCheckInterval });
        return alive;
    }

    public void Forget(long familyId) => _alive.Remove(familyId);

    public void Dispose() => _alive.Dispose();
}
