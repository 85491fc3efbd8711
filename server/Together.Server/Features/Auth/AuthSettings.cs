namespace Together.Server.Features.Auth;

/// <summary>The <c>Auth</c> configuration section.</summary>
public sealed class AuthSettings
{
    /// <summary>
    /// Base64 HMAC key for access tokens (at least 32 bytes). When unset, one is generated on
    /// first start and kept in the data folder, so tokens survive restarts.
    /// </summary>
    public string? SigningKey { get; set; }

    public TimeSpan AccessTokenLifetime { get; set; } = TimeSpan.FromMinutes(15);

    public TimeSpan RefreshTokenLifetime { get; set; } = TimeSpan.FromDays(7);

    /// <summary>bcrypt cost. Below 10 only with <see cref="AllowWeakPasswordHashing"/>.</summary>
    public int BcryptWorkFactor { get; set; } = 12;

    /// <summary>For tests and benchmarks only: permits a work factor below 10 (a warning is logged at start).</summary>
    public bool AllowWeakPasswordHashing { get; set; }

    /// <summary>Threads that hash passwords; 0 means one per core but one.</summary>
    public int PasswordHashingThreads { get; set; }

    /// <summary>Logins waiting for a hashing thread before new ones are turned away with 503.</summary>
    public int PasswordHashingQueue { get; set; } = 256;

    /// <summary>How long a revoked session's access tokens may still pass on another instance.</summary>
    public TimeSpan SessionCheckInterval { get; set; } = TimeSpan.FromSeconds(30);

    public RateLimitSettings RateLimits { get; set; } = new();

    public void Validate()
    {
        if (BcryptWorkFactor is < 4 or > 31)
            throw new InvalidOperationException("Auth:BcryptWorkFactor must be between 4 and 31.");
        if (BcryptWorkFactor < 10 && !AllowWeakPasswordHashing)
            throw new InvalidOperationException(
                "Auth:BcryptWorkFactor below 10 is only for tests and benchmarks; set Auth:AllowWeakPasswordHashing=true to allow it.");
        if (AccessTokenLifetime <= TimeSpan.Zero || RefreshTokenLifetime <= TimeSpan.Zero)
            throw new InvalidOperationException("Auth token lifetimes must be positive.");
    }
}

/// <summary>Per-IP and per-account limits on the routes that attackers hammer.</summary>
public sealed class RateLimitSettings
{
    public RuleSettings Register { get; set; } = new() { Limit = 20, WindowSeconds = 600 };

    public RuleSettings Login { get; set; } = new() { Limit = 30, WindowSeconds = 300 };

    public RuleSettings LoginPerAccount { get; set; } = new() { Limit = 10, WindowSeconds = 300 };

    public RuleSettings Refresh { get; set; } = new() { Limit = 60, WindowSeconds = 60 };

    /// <summary>Checks of the current password by <c>PATCH /users/@me</c>, per account.</summary>
    public RuleSettings PasswordCheck { get; set; } = new() { Limit = 10, WindowSeconds = 300 };

    public sealed class RuleSettings
    {
        public int Limit { get; set; }

        public int WindowSeconds { get; set; }

        public Infrastructure.RateLimitRule ToRule() => new(Math.Max(1, Limit), TimeSpan.FromSeconds(Math.Max(1, WindowSeconds)));
    }
}
