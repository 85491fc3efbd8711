using System.Security.Cryptography;
using System.Text.RegularExpressions;
using SkiaSharp;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Files;

/// <summary>
/// User avatars and guild icons: given as data URIs (as Discord takes them), stored once per
/// content under a 32-hex hash (<c>a_</c> for animated GIFs, kept as they are so they keep
/// moving), served at Discord's CDN paths <c>/avatars/{user}/{hash}.{ext}</c> and
/// <c>/icons/{guild}/{hash}.{ext}</c> with <c>?size=</c> made on request and cached.
/// </summary>
public sealed partial class Avatars(IFileStore store, Images images, FileSettings settings, TimeProvider time)
{
    public static readonly int[] Sizes = [16, 32, 64, 128, 256, 512, 1024, 2048, 4096];

    /// <summary>Stores an image from a data URI and returns its hash; throws a 50035 on <paramref name="field"/> when it is not one.</summary>
    public async Task<string> SaveAsync(string dataUri, string field, CancellationToken cancellationToken)
    {
        var match = DataUri().Match(dataUri ?? "");
        if (!match.Success)
            throw ApiException.Invalid(field, "IMAGE_INVALID", "Invalid image data: expected a data URI (data:image/png;base64,...).");
        var base64 = match.Groups[1].Value;
        if ((long)base64.Length * 3 / 4 > settings.MaxAvatarBytes)
            throw ApiException.Invalid(field, "BINARY_TYPE_MAX_SIZE", $"File cannot be larger than {settings.MaxAvatarBytes / (1024 * 1024)} MB.");
        byte[] bytes;
        try
        {
            bytes = Convert.FromBase64String(base64);
        }
        catch (FormatException)
        {
            throw ApiException.Invalid(field, "IMAGE_INVALID", "Invalid image data: not base64.");
        }
        var type = ContentSniffer.Sniff(bytes.AsSpan(0, Math.Min(bytes.Length, ContentSniffer.HeadLength)));
        if (type.ContentType is not ("image/png" or "image/jpeg" or "image/gif" or "image/webp"))
            throw ApiException.Invalid(field, "IMAGE_INVALID", "Invalid image data: PNG, JPEG, GIF or WebP expected.");

        if (type.ContentType == "image/gif" && IsAnimated(bytes))
        {
            var animatedHash = "a_" + Hash(bytes);
            // Written even when there: that also renews its date against the janitor's grace period.
            await store.WriteAsync(StoreNames.Avatar(animatedHash + ".gif"), bytes, cancellationToken);
            return animatedHash;
        }
        var png = await images.AvatarAsync(bytes, cancellationToken)
            ?? throw ApiException.Invalid(field, "IMAGE_INVALID", "Invalid image data: the image could not be read or is too large.");
        var hash = Hash(png);
        await store.WriteAsync(StoreNames.Avatar(hash + ".png"), png, cancellationToken);
        return hash;
    }

    private static bool IsAnimated(byte[] gif)
    {
        using var data = SKData.CreateCopy(gif);
        using var codec = SKCodec.Create(data);
        return codec is { FrameCount: > 1 };
    }

    private static string Hash(byte[] content) => Convert.ToHexStringLower(SHA256.HashData(content))[..32];

    /// <summary>The file for a request like <c>{hash}.webp?size=64</c>, made and cached when missing; null when unknown.</summary>
    public async Task<(StoredFile File, string ContentType)?> FileAsync(string file, int? size, CancellationToken cancellationToken)
    {
        var match = AvatarFile().Match(file ?? "");
        if (!match.Success)
            return null;
        var hash = match.Groups[1].Value;
        var ext = match.Groups[2].Value == "jpeg" ? "jpg" : match.Groups[2].Value;
        var animated = hash.StartsWith("a_", StringComparison.Ordinal);
        var source = StoreNames.Avatar(hash + (animated ? ".gif" : ".png"));
        var wanted = Sizes.FirstOrDefault(s => s >= (size ?? Images.AvatarSize), Sizes[^1]);
        if (animated && ext == "gif")
            return await store.OpenAsync(source, cancellationToken) is { } gif ? (gif, "image/gif") : null;
        if (ext == "gif")
            ext = "png"; // a still avatar asked for as GIF: Discord answers with the still image
        if (!animated && ext == "png" && wanted >= Images.AvatarSize)
            return await store.OpenAsync(source, cancellationToken) is { } png ? (png, "image/png") : null;

        var type = ext switch { "jpg" => "image/jpeg", "webp" => "image/webp", _ => "image/png" };
        var variant = StoreNames.Avatar($"{hash}-{Math.Min(wanted, Images.AvatarSize)}.{ext}");
        if (await store.OpenAsync(variant, cancellationToken) is { } cached)
            return (cached, type);
        byte[]? made;
        await using (var original = await store.OpenAsync(source, cancellationToken))
        {
            if (original is null)
                return null;
            var format = ext switch { "jpg" => SKEncodedImageFormat.Jpeg, "webp" => SKEncodedImageFormat.Webp, _ => SKEncodedImageFormat.Png };
            made = await images.ConvertAsync(await original.ReadAllAsync(cancellationToken), Math.Min(wanted, Images.AvatarSize), format, cancellationToken);
        }
        if (made is null)
            return null;
        await store.WriteAsync(variant, made, cancellationToken);
        return (StoredFile.InMemory(made, time), type);
    }

    [GeneratedRegex(@"^data:image/[a-z0-9.+-]+;base64,([A-Za-z0-9+/=\s]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex DataUri();

    [GeneratedRegex(@"^((?:a_)?[0-9a-f]{32})\.(png|jpg|jpeg|webp|gif)$", RegexOptions.CultureInvariant)]
    private static partial Regex AvatarFile();
}
