using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Together.Data;

namespace Together.Server.Features.Files;

/// <summary>
/// Deletes blobs nothing references any more: at once (after the grace period) for the keys a
/// deleted message or guild let go, and by a periodic sweep of the whole store for anything a
/// crash or a failed request left behind. Content addressing means one blob can back several
/// attachments, so a blob goes only when no attachment row names it.
/// </summary>
public sealed partial class FileJanitor(IServiceScopeFactory scopes, IFileStore store, FileSettings settings, TimeProvider time, ILogger<FileJanitor> logger)
    : BackgroundService
{
    private readonly Channel<string> _candidates = Channel.CreateUnbounded<string>(new UnboundedChannelOptions { SingleReader = true });

    /// <summary>Blobs that may have lost their last reference.</summary>
    public void Consider(IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        foreach (var key in keys)
            if (StoreNames.IsKey(key))
                _candidates.Writer.TryWrite(key);
    }

    /// <summary>Removes these attachment rows (their messages are gone) and lets their blobs go.</summary>
    public async Task ReleaseAsync(IQueryable<Data.Entities.Attachment> attachments, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(attachments);
        var keys = await attachments.Select(a => a.StorageKey).Distinct().ToListAsync(cancellationToken);
        if (keys.Count == 0)
            return;
        await attachments.ExecuteDeleteAsync(cancellationToken);
        Consider(keys);
    }

    /// <summary>The blobs of a guild or channel about to be deleted (rows go by cascade): hand them to <see cref="Consider"/> afterwards.</summary>
    public static Task<List<string>> KeysAsync(IQueryable<Data.Entities.Attachment> attachments, CancellationToken cancellationToken) =>
        attachments.Select(a => a.StorageKey).Distinct().Take(100_000).ToListAsync(cancellationToken);

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        var sweep = Task.Run(() => SweepLoopAsync(stoppingToken), stoppingToken);
        try
        {
            while (await _candidates.Reader.WaitToReadAsync(stoppingToken))
            {
                var batch = new HashSet<string>(StringComparer.Ordinal);
                while (batch.Count < 500 && _candidates.Reader.TryRead(out var key))
                    batch.Add(key);
                // Wait out the grace period for the newest of them, then look.
                await Task.Delay(settings.OrphanGrace, time, stoppingToken);
                await CollectAsync(batch, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        await sweep.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async Task SweepLoopAsync(CancellationToken stoppingToken)
    {
        try
        {
            await Task.Delay(TimeSpan.FromMinutes(1), time, stoppingToken);
            while (!stoppingToken.IsCancellationRequested)
            {
                await SweepAsync(stoppingToken);
                await Task.Delay(settings.SweepInterval, time, stoppingToken);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
    }

    /// <summary>Walks every blob and collects those old enough and unreferenced.</summary>
    public async Task SweepAsync(CancellationToken cancellationToken)
    {
        try
        {
            var batch = new HashSet<string>(StringComparer.Ordinal);
            await foreach (var blob in store.ListAsync(StoreNames.Blobs, cancellationToken))
            {
                var key = blob.Name[StoreNames.Blobs.Length..];
                if (!StoreNames.IsKey(key))
                    continue;
                batch.Add(key);
                if (batch.Count == 500)
                {
                    await CollectAsync(batch, cancellationToken);
                    batch.Clear();
                }
            }
            await CollectAsync(batch, cancellationToken);
            await SweepAvatarsAsync(cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSweepFailed(ex);
        }
    }

    private async Task CollectAsync(HashSet<string> keys, CancellationToken cancellationToken)
    {
        if (keys.Count == 0)
            return;
        try
        {
            await using var scope = scopes.CreateAsyncScope();
            var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
            var list = keys.ToList();
            var referenced = (await db.Attachments.AsNoTracking().Where(a => list.Contains(a.StorageKey))
                .Select(a => a.StorageKey).Distinct().ToListAsync(cancellationToken)).ToHashSet(StringComparer.Ordinal);
            var cutoff = time.GetUtcNow() - settings.OrphanGrace;
            var deleted = 0;
            foreach (var key in list)
            {
                if (referenced.Contains(key))
                    continue;
                if (await store.ModifiedAsync(StoreNames.Blob(key), cancellationToken) > cutoff)
                    continue; // may be an upload about to be saved
                await DeleteAsync(StoreNames.ThumbnailsOf(key), cancellationToken);
                await store.DeleteAsync(StoreNames.Blob(key), cancellationToken);
                deleted++;
            }
            if (deleted > 0)
                LogDeleted(deleted);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogSweepFailed(ex);
        }
    }

    private async Task SweepAvatarsAsync(CancellationToken cancellationToken)
    {
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<TogetherDb>();
        var cutoff = time.GetUtcNow() - settings.OrphanGrace;
        var originals = new List<string>();
        await foreach (var file in store.ListAsync(StoreNames.Avatars, cancellationToken))
        {
            var hash = Path.GetFileNameWithoutExtension(file.Name[StoreNames.Avatars.Length..]);
            if (!hash.Contains('-', StringComparison.Ordinal) && file.Modified <= cutoff)
                originals.Add(hash); // variants ({hash}-{size}) go with their original
        }
        foreach (var hash in originals)
        {
            var used = await db.Users.AnyAsync(u => u.AvatarHash == hash, cancellationToken)
                || await db.Guilds.AnyAsync(g => g.IconHash == hash, cancellationToken);
            if (!used)
                await DeleteAsync(StoreNames.Avatar(hash), cancellationToken);
        }
    }

    /// <summary>Every object under a prefix, listed first so that deleting does not disturb the listing.</summary>
    private async Task DeleteAsync(string prefix, CancellationToken cancellationToken)
    {
        var names = new List<string>();
        await foreach (var item in store.ListAsync(prefix, cancellationToken))
            names.Add(item.Name);
        foreach (var name in names)
            await store.DeleteAsync(name, cancellationToken);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Deleted {Count} unreferenced files")]
    private partial void LogDeleted(int count);

    [LoggerMessage(Level = LogLevel.Warning, Message = "File clean-up failed; it will be tried again")]
    private partial void LogSweepFailed(Exception ex);
}
