using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Microsoft.Net.Http.Headers;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Auth;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Files;

/// <summary>Discord's attachment object.</summary>
public sealed record AttachmentObject(
    Snowflake Id,
    string Filename,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Description,
    string ContentType,
    long Size,
    string Url,
    string ProxyUrl,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Width,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Height,
    int Flags)
{
    /// <summary>Discord's attachment flag IS_SPOILER.</summary>
    public const int SpoilerFlag = 1 << 3;

    public static AttachmentObject From(Attachment attachment, AttachmentUrls urls)
    {
        ArgumentNullException.ThrowIfNull(attachment);
        ArgumentNullException.ThrowIfNull(urls);
        var url = urls.For(attachment);
        return new(attachment.Id, attachment.Filename, attachment.Description, attachment.ContentType, attachment.Size, url, url,
            attachment.Width, attachment.Height, attachment.Spoiler ? SpoilerFlag : 0);
    }
}

public sealed record RefreshUrlsRequest(IReadOnlyList<string>? AttachmentUrls);

public sealed record RefreshedUrl(string Original, string Refreshed);

public sealed record RefreshUrlsResponse(IReadOnlyList<RefreshedUrl> RefreshedUrls);

public static class AttachmentEndpoints
{
    /// <summary>
    /// A stored attachment: with a valid signed URL (as every message object carries), or with the
    /// caller's token and the right to read the channel. Served with the sniffed type, never
    /// run: <c>nosniff</c>, a sandboxing CSP, and anything but plain images, audio and video as a
    /// download. <c>?width=&amp;height=</c> on an image gives a WebP thumbnail, made once.
    /// </summary>
    public static async Task<IResult> Get(
        HttpContext context, long channelId, long attachmentId, string filename, string? ex, string? @is, string? hm, int? width, int? height,
        TogetherDb db, AttachmentUrls urls, IFileStore store, Images images, GuildAccess access, TimeProvider time, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(context);
        var attachment = await db.Attachments.AsNoTracking()
            .SingleOrDefaultAsync(a => a.Id == attachmentId && a.ChannelId == channelId, cancellationToken);
        if (attachment is null)
            return Gone();
        if (!urls.Verify(channelId, attachmentId, ex, @is, hm))
        {
            var auth = await context.AuthenticateAsync();
            if (auth.Principal is null || CurrentUser.From(auth.Principal) is not { } me)
                return Gone();
            if (!await CanReadAsync(access, channelId, me.Id, cancellationToken))
                return Gone(); // the same answer as for no file at all: nothing leaks to strangers
        }

        var type = attachment.ContentType;
        var inline = ContentSniffer.IsInline(type);
        var tag = attachment.StorageKey[..32];
        StoredFile? file = null;
        if (attachment is { Width: { } w, Height: { } h } && type is "image/png" or "image/jpeg" or "image/webp" or "image/bmp"
            && Images.BoxToCover(w, h, width, height) is { } box && box < Math.Max(w, h))
        {
            file = await ThumbnailAsync(attachment.StorageKey, box, attachment.Size, store, images, time, cancellationToken);
            if (file is not null)
            {
                type = "image/webp";
                tag += "-" + box.ToString(System.Globalization.CultureInfo.InvariantCulture);
            }
        }
        file ??= await store.OpenAsync(StoreNames.Blob(attachment.StorageKey), cancellationToken);
        if (file is null)
            return Gone();

        var headers = context.Response.Headers;
        headers[HeaderNames.ContentSecurityPolicy] = "default-src 'none'; img-src 'self' data:; media-src 'self'; style-src 'unsafe-inline'; sandbox";
        headers[HeaderNames.XContentTypeOptions] = "nosniff";
        headers["Cross-Origin-Resource-Policy"] = "same-site";
        headers[HeaderNames.CacheControl] = "private, max-age=86400, immutable";
        var disposition = new ContentDispositionHeaderValue(inline ? "inline" : "attachment");
        disposition.SetHttpFileName(attachment.Filename);
        headers[HeaderNames.ContentDisposition] = disposition.ToString();
        return Results.Stream(file.Content, type, lastModified: file.Modified, enableRangeProcessing: true,
            entityTag: new EntityTagHeaderValue($"\"{tag}\""));
    }

    /// <summary>Images larger than this many bytes are served whole: a thumbnail is made in memory.</summary>
    private const long MaxThumbnailSourceBytes = 64L * 1024 * 1024;

    /// <summary>The cached thumbnail, made (once) when missing; null when the image cannot have one.</summary>
    private static async Task<StoredFile?> ThumbnailAsync(string key, int box, long size, IFileStore store, Images images, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var name = StoreNames.Thumbnail(key, box);
        if (await store.OpenAsync(name, cancellationToken) is { } cached)
            return cached;
        if (size > MaxThumbnailSourceBytes)
            return null;
        byte[]? made;
        await using (var source = await store.OpenAsync(StoreNames.Blob(key), cancellationToken))
        {
            if (source is null)
                return null;
            made = await images.ThumbnailAsync(await source.ReadAllAsync(cancellationToken), box, cancellationToken);
        }
        if (made is null)
            return null;
        await store.WriteAsync(name, made, cancellationToken);
        return StoredFile.InMemory(made, time);
    }

    private static async Task<bool> CanReadAsync(GuildAccess access, long channelId, long userId, CancellationToken cancellationToken)
    {
        try
        {
            var (_, _, permissions) = await access.ChannelAsync(channelId, userId, cancellationToken);
            return (permissions & P.ReadMessageHistory) != 0;
        }
        catch (ApiException)
        {
            return false;
        }
    }

    private static IResult Gone() =>
        Results.Json(new ApiError(ApiErrors.GeneralError, "This content is no longer available."), statusCode: StatusCodes.Status404NotFound);

    /// <summary>Discord's <c>POST /attachments/refresh-urls</c>: fresh signed URLs for attachments the caller can still read.</summary>
    public static async Task<Ok<RefreshUrlsResponse>> Refresh(
        RefreshUrlsRequest body, CurrentUser me, TogetherDb db, AttachmentUrls urls, GuildAccess access, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var given = body.AttachmentUrls ?? [];
        if (given.Count > 50)
            throw ApiException.Invalid("attachment_urls", "BASE_TYPE_MAX_LENGTH", "Must be 50 or fewer in length.");
        var result = new List<RefreshedUrl>();
        var readable = new Dictionary<long, bool>();
        foreach (var original in given)
        {
            if (!TryParse(original, out var channelId, out var attachmentId))
                continue;
            if (!readable.TryGetValue(channelId, out var canRead))
            {
                readable[channelId] = canRead = await CanReadAsync(access, channelId, me.Id, cancellationToken);
            }
            if (!canRead)
                continue;
            var attachment = await db.Attachments.AsNoTracking()
                .SingleOrDefaultAsync(a => a.Id == attachmentId && a.ChannelId == channelId, cancellationToken);
            if (attachment is not null)
                result.Add(new RefreshedUrl(original, urls.For(attachment)));
        }
        return TypedResults.Ok(new RefreshUrlsResponse(result));
    }

    private static bool TryParse(string? url, out long channelId, out long attachmentId)
    {
        channelId = attachmentId = 0;
        if (url is null || !Uri.TryCreate(url, UriKind.RelativeOrAbsolute, out var uri))
            return false;
        var path = uri.IsAbsoluteUri ? uri.AbsolutePath : url.Split('?')[0];
        var parts = path.Split('/', StringSplitOptions.RemoveEmptyEntries);
        return parts.Length >= 3 && parts[0] == "attachments"
            && long.TryParse(parts[1], System.Globalization.CultureInfo.InvariantCulture, out channelId)
            && long.TryParse(parts[2], System.Globalization.CultureInfo.InvariantCulture, out attachmentId);
    }
}
