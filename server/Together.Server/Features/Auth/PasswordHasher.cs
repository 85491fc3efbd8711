using System.Collections.Concurrent;
using Together.Server.Infrastructure;
using BCryptNet = BCrypt.Net.BCrypt;

namespace Together.Server.Features.Auth;

/// <summary>
/// bcrypt on a few dedicated threads. A hash at work factor 12 costs ~250 ms of CPU; run on the
/// thread pool, a burst of logins would take every pool thread and stall all other requests
/// (and the gateway). Here the burst waits in a bounded queue instead, and the pool stays free.
/// Passwords are pre-hashed with SHA-384 (BCrypt.Net's "enhanced" mode) so bytes past bcrypt's
/// 72-byte limit still count.
/// </summary>
public sealed class PasswordHasher : IDisposable
{
    private readonly BlockingCollection<WorkItem> _queue;
    private readonly Lazy<string> _dummyHash;
    private readonly Thread[] _threads;
    private readonly int _workFactor;

    public PasswordHasher(AuthSettings settings)
    {
        ArgumentNullException.ThrowIfNull(settings);
        _workFactor = settings.BcryptWorkFactor;
        _queue = new BlockingCollection<WorkItem>(Math.Max(1, settings.PasswordHashingQueue));
        var count = settings.PasswordHashingThreads > 0
            ? settings.PasswordHashingThreads
            : Math.Max(1, Environment.ProcessorCount - 1);
        _threads = new Thread[count];
        for (var i = 0; i < count; i++)
        {
            _threads[i] = new Thread(Work) { IsBackground = true, Name = $"password-hasher-{i}" };
            _threads[i].Start();
        }
        // A real hash of nothing, so unknown logins cost as much as known ones.
        _dummyHash = new Lazy<string>(() => BCryptNet.EnhancedHashPassword(Guid.NewGuid().ToString(), _workFactor));
    }

    public Task<string> HashAsync(string password, CancellationToken cancellationToken) =>
        EnqueueAsync<string>(new WorkItem(password, null, new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken));

    /// <summary>Verifies against <paramref name="hash"/>, or against a dummy when there is no account.</summary>
    public Task<bool> VerifyAsync(string password, string? hash, CancellationToken cancellationToken) =>
        EnqueueAsync<bool>(new WorkItem(password, hash ?? _dummyHash.Value, new TaskCompletionSource<object>(TaskCreationOptions.RunContinuationsAsynchronously), cancellationToken, hash is null));

    private async Task<T> EnqueueAsync<T>(WorkItem item)
    {
        if (!_queue.TryAdd(item))
            throw new ServiceBusyException("Too many password operations are waiting.");
        return (T)await item.Result.Task.WaitAsync(item.CancellationToken);
    }

    private void Work()
    {
        foreach (var item in _queue.GetConsumingEnumerable())
        {
            if (item.CancellationToken.IsCancellationRequested)
            {
                item.Result.TrySetCanceled(item.CancellationToken);
                continue;
            }
            try
            {
                object result = item.Hash is null
                    ? BCryptNet.EnhancedHashPassword(item.Password, _workFactor)
                    : BCryptNet.EnhancedVerify(item.Password, item.Hash) && !item.AlwaysFail;
                item.Result.TrySetResult(result);
            }
            catch (Exception ex) when (ex is BCrypt.Net.SaltParseException or ArgumentException)
            {
                // A corrupt stored hash is a failed login, not a crash.
                item.Result.TrySetResult(false);
            }
        }
    }

    /// <summary>Whether a stored hash was made with a lower work factor than configured now.</summary>
    public bool NeedsRehash(string hash) => BCryptNet.PasswordNeedsRehash(hash, _workFactor);

    public void Dispose() => _queue.CompleteAdding();

    private sealed record WorkItem(
        string Password, string? Hash, TaskCompletionSource<object> Result, CancellationToken CancellationToken, bool AlwaysFail = false);
}
