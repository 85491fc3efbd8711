using Together.Server.Features.Auth;
using Together.Server.Infrastructure;

namespace Together.Server.Tests;

public sealed class PasswordHasherTests
{
    private static PasswordHasher Create(int workFactor = 4, int threads = 1, int queue = 256) => new(new AuthSettings
    {
        BcryptWorkFactor = workFactor,
        AllowWeakPasswordHashing = true,
        PasswordHashingThreads = threads,
        PasswordHashingQueue = queue,
    });

    [Fact]
    public async Task Hashes_verify_and_wrong_passwords_do_not()
    {
        using var hasher = Create();

        var hash = await hasher.HashAsync("correct horse battery", TestContext.Current.CancellationToken);

        Assert.StartsWith("$2", hash, StringComparison.Ordinal);
        Assert.True(await hasher.VerifyAsync("correct horse battery", hash, TestContext.Current.CancellationToken));
        Assert.False(await hasher.VerifyAsync("correct horse batterY", hash, TestContext.Current.CancellationToken));
        Assert.False(await hasher.VerifyAsync("correct horse battery", null, TestContext.Current.CancellationToken));
        Assert.False(await hasher.VerifyAsync("anything", "not a bcrypt hash", TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task Characters_past_bcrypts_72_byte_limit_still_count()
    {
        using var hasher = Create();
        var prefix = new string('a', 80);

        var hash = await hasher.HashAsync(prefix + "1", TestContext.Current.CancellationToken);

        Assert.False(await hasher.VerifyAsync(prefix + "2", hash, TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_burst_of_hashing_leaves_the_thread_pool_free()
    {
        // Work factor 10 takes tens of milliseconds per hash: 16 of them keep one thread busy for
        // a while. Were they on the pool, this Task.Run would queue behind them.
        using var hasher = Create(workFactor: 10, threads: 1);
        var burst = Enumerable.Range(0, 16).Select(i => hasher.HashAsync($"password {i}", TestContext.Current.CancellationToken)).ToList();

        var poolWork = Task.Run(() => Environment.CurrentManagedThreadId, TestContext.Current.CancellationToken);
        var first = await Task.WhenAny(poolWork, burst[0]);

        Assert.Same(poolWork, first);
        await Task.WhenAll(burst);
    }

    [Fact]
    public async Task A_full_queue_turns_work_away_instead_of_growing()
    {
        using var hasher = Create(workFactor: 10, threads: 1, queue: 2);

        var attempts = Enumerable.Range(0, 10).Select(_ => hasher.HashAsync("password", TestContext.Current.CancellationToken)).ToList();
        var refused = 0;
        foreach (var attempt in attempts)
        {
            try
            {
                await attempt;
            }
            catch (ServiceBusyException)
            {
                refused++;
            }
        }

        // Two waiting (and perhaps one already picked up by the hashing thread): the rest are refused at once.
        Assert.InRange(refused, 7, 8);
    }

    [Fact]
    public void A_weak_work_factor_is_refused_outside_tests()
    {
        var settings = new AuthSettings { BcryptWorkFactor = 8 };

        var error = Assert.Throws<InvalidOperationException>(settings.Validate);

        Assert.Contains("AllowWeakPasswordHashing", error.Message, StringComparison.Ordinal);
    }
}
