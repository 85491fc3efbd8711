using System.Security.Cryptography;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Files;

/// <summary>
/// Where attachments, thumbnails and avatars live: the data folder (<see cref="DiskFileStore"/>)
/// or an S3-compatible bucket (<see cref="S3FileStore"/>). Objects are named as in
/// <see cref="StoreNames"/>; a name from a client never becomes one.
/// </summary>
public interface IFileStore
{
    /// <summary>Moves a finished upload into the store under the SHA-256 of its content and returns that key; the temp file is gone afterwards.</summary>
    Task<string> CommitAsync(string tempPath, CancellationToken cancellationToken);

    /// <summary>The object for reading (a seekable stream), or null when there is none.</summary>
    Task<StoredFile?> OpenAsync(string name, CancellationToken cancellationToken);

    /// <summary>When the object was last written, or null when there is none.</summary>
    Task<DateTimeOffset?> ModifiedAsync(string name, CancellationToken cancellationToken);

    /// <summary>Writes the whole object at once: readers see the old content or the new.</summary>
    Task WriteAsync(string name, ReadOnlyMemory<byte> content, CancellationToken cancellationToken);

    Task DeleteAsync(string name, CancellationToken cancellationToken);

    /// <summary>Every object whose name starts with <paramref name="prefix"/>, with when it was written.</summary>
    IAsyncEnumerable<StoredName> ListAsync(string prefix, CancellationToken cancellationToken);
}

/// <summary>An object opened for reading; dispose it.</summary>
public sealed record StoredFile(Stream Content, long Length, DateTimeOffset Modified) : IAsyncDisposable
{
    /// <summary>Bytes just made, served before (or while) they are written to the store.</summary>
    public static StoredFile InMemory(byte[] content, TimeProvider time) =>
        new(new MemoryStream(content, writable: false), content.Length, time?.GetUtcNow() ?? DateTimeOffset.UtcNow);

    /// <summary>The whole object, for the image decoder (which reads synchronously).</summary>
    public async Task<byte[]> ReadAllAsync(CancellationToken cancellationToken)
    {
        var content = GC.AllocateUninitializedArray<byte>(checked((int)Length));
        Content.Position = 0;
        await Content.ReadExactlyAsync(content, cancellationToken);
        return content;
    }

    public ValueTask DisposeAsync() => Content.DisposeAsync();
}

public readonly record struct StoredName(string Name, DateTimeOffset Modified);

/// <summary>The names of objects in a store, the same on disk and in a bucket.</summary>
public static class StoreNames
{
    public const string Blobs = "blobs/";
    public const string Thumbnails = "thumbs/";
    public const string Avatars = "avatars/";

    /// <summary>An attachment's content: its SHA-256 in lower-case hex.</summary>
    public static bool IsKey(string key) => key.Length == 64 && key.All(char.IsAsciiHexDigitLower);

    public static string Blob(string key) => IsKey(key) ? Blobs + key : throw new ArgumentException("not a content address", nameof(key));

    public static string Thumbnail(string key, int box) => $"{ThumbnailsOf(key)}{box}.webp";

    /// <summary>Every thumbnail of a blob starts with this.</summary>
    public static string ThumbnailsOf(string key) => IsKey(key) ? $"{Thumbnails}{key}-" : throw new ArgumentException("not a content address", nameof(key));

    /// <summary>An avatar or icon file such as <c>{hash}.png</c> or <c>{hash}-128.webp</c>.</summary>
    public static string Avatar(string file) => Avatars + file;
}

/// <summary>
/// Uploads in progress, always on local disk under the data folder whatever the store: a request
/// is streamed here, checked, and only then committed to the store.
/// </summary>
public sealed class UploadTemp
{
    public UploadTemp(FileSettings settings, DataDirectory data)
    {
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(data);
        Directory = System.IO.Path.Combine(System.IO.Path.GetFullPath(System.IO.Path.Combine(data.Path, settings.Path)), "tmp");
        System.IO.Directory.CreateDirectory(Directory);
        // Left over from uploads a crash interrupted.
        foreach (var stale in System.IO.Directory.EnumerateFiles(Directory))
            if (File.GetLastWriteTimeUtc(stale) < DateTime.UtcNow.AddHours(-1))
                File.Delete(stale);
    }

    public string Directory { get; }

    /// <summary>A new file name for an upload; the caller deletes the file unless committed.</summary>
    public string NewPath() => System.IO.Path.Combine(Directory, Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16)));

    public static async Task<string> HashAsync(string path, CancellationToken cancellationToken)
    {
        await using var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return Convert.ToHexStringLower(await SHA256.HashDataAsync(stream, cancellationToken));
    }
}
