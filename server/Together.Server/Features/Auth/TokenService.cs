using System.Collections.Concurrent;
using System.Security.Claims;
using System.Security.Cryptography;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Together.Data.Snowflakes;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Auth;

/// <summary>The identity an access token carries.</summary>
public readonly record struct TokenIdentity(Snowflake UserId, Snowflake SessionId);

/// <summary>
/// Issues and checks access tokens: HS256 JWTs carrying the user (<c>sub</c>) and the session
/// family (<c>sid</c>). The same check serves REST and, later, the gateway's IDENTIFY.
/// </summary>
public sealed class TokenService
{
    public const string Issuer = "together";
    public const string Audience = "together";

    private readonly JsonWebTokenHandler _handler = new() { SetDefaultTimesOnTokenCreation = false };
    private readonly SigningCredentials _credentials;
    private readonly TokenValidationParameters _validation;
    private readonly TimeProvider _time;
    private readonly TimeSpan _lifetime;

    // Every request presents the same few tokens again and again; checking the signature and
    // building claims each time cost ~8 KB of garbage per request. A token that passed once is
    // good until it expires (the key never changes while the process runs); revocation is checked
    // apart, per request, by SessionRevocations. Bounded: a flood of distinct tokens only evicts.
    private const int MaxRemembered = 4096;
    private readonly ConcurrentDictionary<string, (TokenIdentity Identity, DateTime Expires)> _valid = new(StringComparer.Ordinal);

    public TokenService(AuthSettings settings, SigningKeyStore keys, TimeProvider time)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(keys);
        _time = time;
        _lifetime = settings.AccessTokenLifetime;
        var key = new SymmetricSecurityKey(keys.GetOrCreateKey()) { KeyId = "together-1" };
        _credentials = new SigningCredentials(key, SecurityAlgorithms.HmacSha256);
        _validation = new TokenValidationParameters
        {
            ValidIssuer = Issuer,
            ValidAudience = Audience,
            IssuerSigningKey = key,
            ValidAlgorithms = [SecurityAlgorithms.HmacSha256],
            ClockSkew = TimeSpan.FromSeconds(30),
            RequireExpirationTime = true,
            RequireSignedTokens = true,
            LifetimeValidator = (notBefore, expires, _, parameters) =>
            {
                var now = _time.GetUtcNow().UtcDateTime;
                return expires is { } exp && exp + parameters.ClockSkew > now
                    && (notBefore is not { } nbf || nbf - parameters.ClockSkew <= now);
            },
        };
    }

    public TimeSpan Lifetime => _lifetime;

    public string Issue(Snowflake userId, Snowflake sessionId)
    {
        var now = _time.GetUtcNow().UtcDateTime;
        return _handler.CreateToken(new SecurityTokenDescriptor
        {
            Issuer = Issuer,
            Audience = Audience,
            IssuedAt = now,
            NotBefore = now,
            Expires = now + _lifetime,
            SigningCredentials = _credentials,
            Claims = new Dictionary<string, object>
            {
                [JwtRegisteredClaimNames.Sub] = userId.ToString(),
                [JwtRegisteredClaimNames.Sid] = sessionId.ToString(),
                [JwtRegisteredClaimNames.Jti] = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(8)),
            },
        });
    }

    /// <summary>Signature, issuer, audience, algorithm and lifetime; null when any fails.</summary>
    public async Task<TokenIdentity?> ValidateAsync(string token)
    {
        // Real tokens are a few hundred bytes; refuse to parse megabytes of header.
        if (string.IsNullOrEmpty(token) || token.Length > 4096)
            return null;
        var now = _time.GetUtcNow().UtcDateTime;
        if (_valid.TryGetValue(token, out var known))
        {
            if (known.Expires + _validation.ClockSkew > now)
                return known.Identity;
            _valid.TryRemove(token, out _);
        }
        var result = await _handler.ValidateTokenAsync(token, _validation);
        if (!result.IsValid)
            return null;
        if (!(result.Claims.TryGetValue(JwtRegisteredClaimNames.Sub, out var sub)
            && result.Claims.TryGetValue(JwtRegisteredClaimNames.Sid, out var sid)
            && Snowflake.TryParse(sub as string, out var userId)
            && Snowflake.TryParse(sid as string, out var sessionId)))
            return null;
        var identity = new TokenIdentity(userId, sessionId);
        Remember(token, identity, result.SecurityToken.ValidTo, now);
        return identity;
    }

    internal int RememberedCount => _valid.Count;

    private void Remember(string token, TokenIdentity identity, DateTime expires, DateTime now)
    {
        if (_valid.Count >= MaxRemembered)
        {
            foreach (var (key, entry) in _valid)
                if (entry.Expires + _validation.ClockSkew <= now)
                    _valid.TryRemove(key, out _);
            if (_valid.Count >= MaxRemembered)
                _valid.Clear();
        }
        _valid[token] = (identity, expires);
    }

    public static ClaimsPrincipal ToPrincipal(TokenIdentity identity, string scheme) => new(new ClaimsIdentity(
        [
            new Claim(JwtRegisteredClaimNames.Sub, identity.UserId.ToString()),
            new Claim(JwtRegisteredClaimNames.Sid, identity.SessionId.ToString()),
        ], scheme, JwtRegisteredClaimNames.Sub, null));
}

/// <summary>
/// The HMAC key: from configuration when given, else generated once with a CSPRNG and kept in
/// the data folder (readable by the server's user only), never a constant in code.
/// </summary>
public sealed class SigningKeyStore(AuthSettings settings, DataDirectory dataDirectory, ILogger<SigningKeyStore> logger)
{
    public const int KeyBytes = 64;

    public byte[] GetOrCreateKey()
    {
        if (!string.IsNullOrWhiteSpace(settings.SigningKey))
        {
            var configured = Convert.FromBase64String(settings.SigningKey);
            if (configured.Length < 32)
                throw new InvalidOperationException("Auth:SigningKey must be base64 of at least 32 bytes.");
            return configured;
        }
        var path = Path.Combine(dataDirectory.Path, "jwt-signing.key");
        if (File.Exists(path))
        {
            var stored = Convert.FromBase64String(File.ReadAllText(path).Trim());
            if (stored.Length >= 32)
                return stored;
            throw new InvalidOperationException($"The signing key in {path} is too short; delete it to generate a new one.");
        }
        var key = RandomNumberGenerator.GetBytes(KeyBytes);
        var temp = path + ".tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        using (var stream = new FileStream(temp, options))
        using (var writer = new StreamWriter(stream))
            writer.Write(Convert.ToBase64String(key));
        File.Move(temp, path, overwrite: false);
        logger.LogInformation("Generated a new token signing key in {Path}", path);
        return key;
    }
}
