using System.Runtime.CompilerServices;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Files;

/// <summary>
/// The store in the data folder (the default). Blobs are fanned out by the first bytes of their
/// key (<c>blobs/ab/cd/abcd…</c>) so no directory grows huge; every write goes to a temp file
/// first and is renamed into place whole, so a crash never leaves half a file under a real name.
/// </summary>
public sealed class DiskFileStore : IFileStore
{
    private readonly UploadTemp _temp;

    public DiskFileStore(FileSettings settings, DataDirectory data, UploadTemp temp)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        _temp = temp;
        Root = Path.GetFullPath(Path.Combine(data.Path, settings.Path));
        foreach (var area in new[] { StoreNames.Blobs, StoreNames.Thumbnails, StoreNames.Avatars })
            Directory.CreateDirectory(Path.Combine(Root, area));
    }

    public string Root { get; }

    public async Task<string> CommitAsync(string tempPath, CancellationToken cancellationToken)
    {
        var key = await UploadTemp.HashAsync(tempPath, cancellationToken);
        var target = PathOf(StoreNames.Blob(key));
        Directory.CreateDirectory(Path.GetDirectoryName(target)!);
        try
        {
            File.Move(tempPath, target, overwrite: false);
        }
        catch (IOException) when (File.Exists(target))
        {
            // Same content stored before: keep that one, and mark it fresh so the janitor's grace
            // period protects it until the new reference is saved.
            File.Delete(tempPath);
            File.SetLastWriteTimeUtc(target, DateTime.UtcNow);
        }
        return key;
    }

    public Task<StoredFile?> OpenAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            var stream = new FileStream(PathOf(name), FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, 1 << 16, FileOptions.Asynchronous);
            return Task.FromResult<StoredFile?>(new StoredFile(stream, stream.Length, File.GetLastWriteTimeUtc(stream.SafeFileHandle)));
        }
        catch (Exception ex) when (ex is FileNotFoundException or DirectoryNotFoundException)
        {
            return Task.FromResult<StoredFile?>(null);
        }
    }

    public Task<DateTimeOffset?> ModifiedAsync(string name, CancellationToken cancellationToken)
    {
        var file = new FileInfo(PathOf(name));
        return Task.FromResult<DateTimeOffset?>(file.Exists ? file.LastWriteTimeUtc : null);
    }

    public async Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        var path = PathOf(name);
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = _temp.NewPath();
        try
        {
            await File.WriteAllBytesAsync(temp, content, cancellationToken);
            File.Move(temp, path, overwrite: true);
        }
        catch
        {
            File.Delete(temp);
            throw;
        }
    }

    public Task DeleteAsync(string name, CancellationToken cancellationToken)
    {
        File.Delete(PathOf(name));
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<StoredName> ListAsync(string prefix, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(prefix);
        var slash = prefix.IndexOf('/', StringComparison.Ordinal);
        var area = slash < 0 ? prefix : prefix[..(slash + 1)];
        var start = slash < 0 ? "" : prefix[(slash + 1)..];
        var depth = Fanout(area);
        // The fan-out folder when the prefix reaches that far, else the whole area.
        var directory = start.Length >= depth * 2 ? Path.GetDirectoryName(PathOf(area + start.PadRight(64, '0')))! : Path.Combine(Root, area);
        if (!Directory.Exists(directory))
            yield break;
        foreach (var file in Directory.EnumerateFiles(directory, start + "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            yield return new StoredName(area + Path.GetFileName(file), File.GetLastWriteTimeUtc(file));
        }
        await Task.CompletedTask;
    }

    /// <summary>The file behind a store name; throws on anything that is not one (no way out of the root).</summary>
    public string PathOf(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        var slash = name.IndexOf('/', StringComparison.Ordinal);
        var area = slash < 0 ? "" : name[..(slash + 1)];
        var file = slash < 0 ? "" : name[(slash + 1)..];
        if (file.Length == 0 || file.Any(c => !(char.IsAsciiLetterOrDigit(c) || c is '-' or '_' or '.')) || file.StartsWith('.'))
            throw new ArgumentException($"not a store name: {name}", nameof(name));
        return Fanout(area) switch
        {
            2 when file.Length >= 4 => Path.Combine(Root, area, file[..2], file[2..4], file),
            1 when file.Length >= 2 => Path.Combine(Root, area, file[..2], file),
            0 => Path.Combine(Root, area, file),
            _ => throw new ArgumentException($"not a store name: {name}", nameof(name)),
        };
    }

    private static int Fanout(string area) => area switch
    {
        StoreNames.Blobs => 2,
        StoreNames.Thumbnails => 1,
        StoreNames.Avatars => 0,
        _ => throw new ArgumentException($"no such area in the store: {area}", nameof(area)),
    };
}
