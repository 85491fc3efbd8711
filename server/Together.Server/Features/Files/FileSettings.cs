namespace Together.Server.Features.Files;

/// <summary>The <c>Files</c> configuration section: uploads, attachments, avatars.</summary>
public sealed class FileSettings
{
    /// <summary>Largest single upload (Discord's default for everyone: 25 MB).</summary>
    public long MaxUploadBytes { get; set; } = 25L * 1024 * 1024;

    /// <summary>Files per message, as Discord.</summary>
    public int MaxFilesPerMessage { get; set; } = 10;

    /// <summary><c>Disk</c> (the data folder, the default) or <c>S3</c> (the bucket in <see cref="S3"/>).</summary>
    public FileStoreKind Store { get; set; } = FileStoreKind.Disk;

    public S3Settings S3 { get; set; } = new();

    /// <summary>Where files live on disk (and uploads wait whatever the store); relative paths are under the data directory.</summary>
    public string Path { get; set; } = "files";

    /// <summary>
    /// The http(s) base of attachment and avatar URLs handed to clients, e.g.
    /// <c>https://chat.example.com</c>. When unset, the scheme and host of the request are used.
    /// </summary>
    public string? PublicUrl { get; set; }

    /// <summary>How long a signed attachment URL stays valid (at least this long, at most 1.5 times).</summary>
    public TimeSpan UrlLifetime { get; set; } = TimeSpan.FromHours(24);

    /// <summary>Unreferenced blobs younger than this are kept: an upload may be about to reference them.</summary>
    public TimeSpan OrphanGrace { get; set; } = TimeSpan.FromMinutes(10);

    /// <summary>How often the whole store is swept for blobs nothing references (after crashes).</summary>
    public TimeSpan SweepInterval { get; set; } = TimeSpan.FromHours(6);

    /// <summary>Images above this many pixels are stored and served, but get no thumbnail.</summary>
    public long MaxThumbnailSourcePixels { get; set; } = 16_000_000;

    /// <summary>Largest avatar or icon image accepted (decoded data URI), as Discord: 10 MB.</summary>
    public int MaxAvatarBytes { get; set; } = 10 * 1024 * 1024;
}

public enum FileStoreKind
{
    Disk,
    S3,
}
