using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Together.Server.Features.Auth;
using Together.Server.Infrastructure;

namespace Together.Server.Tests;

/// <summary>The remembered-token shortcut must never outlive a token or accept what the full check refuses.</summary>
public sealed class TokenServiceTests
{
    private static TokenService Service(FakeTimeProvider time, string? key = null)
    {
        var settings = new AuthSettings { SigningKey = key ?? Convert.ToBase64String(RunningServer.SigningKey) };
        var folder = new DataDirectory(Path.Combine(Path.GetTempPath(), "together-token-tests"));
        return new TokenService(settings, new SigningKeyStore(settings, folder, NullLogger<SigningKeyStore>.Instance), time);
    }

    [Fact]
    public async Task A_token_checked_before_is_refused_once_it_expires()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = Service(time);
        var token = tokens.Issue(new(1234), new(5678));

        Assert.Equal(new TokenIdentity(new(1234), new(5678)), await tokens.ValidateAsync(token));
        time.Advance(tokens.Lifetime - TimeSpan.FromMinutes(1));
        Assert.NotNull(await tokens.ValidateAsync(token));

        // Past the expiry and the 30 s of allowed clock skew.
        time.Advance(TimeSpan.FromMinutes(1) + TimeSpan.FromSeconds(31));
        Assert.Null(await tokens.ValidateAsync(token));
        Assert.Null(await tokens.ValidateAsync(token));
    }

    [Fact]
    public async Task A_token_that_differs_by_one_character_is_checked_in_full()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = Service(time);
        var token = tokens.Issue(new(1234), new(5678));
        Assert.NotNull(await tokens.ValidateAsync(token));

        var tampered = token[..^2] + (token[^2] == 'A' ? 'B' : 'A') + token[^1];
        Assert.Null(await tokens.ValidateAsync(tampered));
        var other = Service(time, Convert.ToBase64String(new byte[64])).Issue(new(1234), new(5678));
        Assert.Null(await tokens.ValidateAsync(other));
    }

    [Fact]
    public async Task Many_distinct_tokens_neither_grow_the_memory_without_bound_nor_break_checks()
    {
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var tokens = Service(time);
        for (var i = 0; i < 5000; i++)
            Assert.NotNull(await tokens.ValidateAsync(tokens.Issue(new(i + 1), new(1))));
        Assert.InRange(tokens.RememberedCount, 1, 4096);
        var last = tokens.Issue(new(99), new(1));
        Assert.NotNull(await tokens.ValidateAsync(last));
        Assert.NotNull(await tokens.ValidateAsync(last));
    }
}
