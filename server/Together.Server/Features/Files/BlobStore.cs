using System.Security.Cryptography;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Files;

/// <summary>
/// Files on local disk under the data folder, addressed by the SHA-256 of their content: a name
/// from a client never becomes a path. Uploads are written to <c>tmp/</c> and renamed into place
/// whole, so a crash or a refused upload never leaves a half-written blob.
/// </summary>
public sealed class BlobStore
{
    private readonly string _blobs;
    private readonly string _thumbs;
    private readonly string _temp;

    public BlobStore(FileSettings settings, DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        Root = Path.GetFullPath(Path.Combine(data.Path, settings.Path));
        _blobs = Path.Combine(Root, "blobs");
        _thumbs = Path.Combine(Root, "thumbs");
        _temp = Path.Combine(Root, "tmp");
        AvatarDirectory = Path.Combine(Root, "avatars");
        foreach (var dir in new[] { _blobs, _thumbs, _temp, AvatarDirectory })
            Directory.CreateDirectory(dir);
        // Left over from uploads a crash interrupted.
        foreach (var stale in Directory.EnumerateFiles(_temp))
            if (File.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-1))
                File.Delete(stale);
    }

    public string Root { get; }

    public string AvatarDirectory { get; }

    /// <summary>A new empty file for an upload in progress; the caller deletes it unless committed.</summary>
    public string NewTempPath() => Path.Combine(_temp, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    /// <summary>Moves a finished temp file into the store under its content address.</summary>
    public async Task<string> CommitAsync(string tempPath, CancellationToken cancellationToken)
    {
        string key;
        await using (var stream = new FileStream(tempPath, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan))
            key = Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
        var target = BlobPath(key);
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

    public static bool IsKey(string key) => key.Length == 64 && key.All(char.IsAsciiHexDigitLower);

    public string BlobPath(string key)
    {
        if (!IsKey(key))
            throw new ArgumentException("not a content address", nameof(key));
        return Path.Combine(_blobs, key[..2], key[2..4], key);
    }

    public string ThumbnailPath(string key, int box) => Path.Combine(_thumbs, key[..2], $"{key}-{box}.webp");

    public void Delete(string key)
    {
        File.Delete(BlobPath(key));
        var dir = Path.Combine(_thumbs, key[..2]);
        if (Directory.Exists(dir))
            foreach (var thumb in Directory.EnumerateFiles(dir, key + "-*"))
                File.Delete(thumb);
    }

    /// <summary>Every stored blob with its last write time (for the sweep).</summary>
    public IEnumerable<(string Key, DateTime WrittenUtc)> EnumerateBlobs()
    {
        foreach (var file in Directory.EnumerateFiles(_blobs, "*", SearchOption.AllDirectories))
        {
            var name = Path.GetFileName(file);
            if (IsKey(name))
                yield return (name, File.GetLastWriteTimeUtc(file));
        }
    }

    /// <summary>Writes bytes under <paramref name="path"/> all at once: readers see the old file or the new one.</summary>
    public async Task WriteAtomicallyAsync(string path, ReadOnlyMemory<byte> content, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        var temp = NewTempPath();
        await File.WriteAllBytesAsync(temp, content, cancellationToken);
        File.Move(temp, path, overwrite: true);
    }
}
