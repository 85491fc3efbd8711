using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.WebUtilities;
using Microsoft.Net.Http.Headers;
using System.Text.Json;
using Microsoft.Extensions.Options;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Messages;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Files;

/// <summary>A message body, from JSON or from a multipart upload with its files.</summary>
public sealed class MessageUpload(SendMessageRequest payload, UploadSet? files) : IDisposable
{
    public SendMessageRequest Payload { get; } = payload;

    public IReadOnlyList<UploadedFile> Files => files?.Files ?? [];

    public void Dispose() => files?.Dispose();
}

/// <summary>An uploaded file with the name and description the message gives it.</summary>
public sealed record DescribedFile(UploadedFile File, string Filename, string? Description);

/// <summary>Reads message bodies with or without files and stores the files.</summary>
public sealed class Uploads(FileSettings settings, IFileStore store, UploadTemp temp, IOptions<Microsoft.AspNetCore.Http.Json.JsonOptions> json)
{
    public async Task<MessageUpload> ReadMessageAsync(HttpRequest request, bool filesAllowed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        if (UploadSet.IsMultipart(request))
        {
            var set = await UploadSet.ReadAsync(request, settings, temp, filesAllowed, cancellationToken);
            try
            {
                SendMessageRequest payload;
                if (set.PayloadJson is { } text)
                    payload = Parse(text);
                else
                {
                    // Plain form fields, as some libraries send them without payload_json.
                    var nonce = set.Fields.TryGetValue("nonce", out var n) ? JsonSerializer.SerializeToElement(n) : default;
                    payload = new SendMessageRequest(set.Fields.GetValueOrDefault("content"), nonce,
                        set.Fields.GetValueOrDefault("tts") == "true", null, null, null);
                }
                return new MessageUpload(payload, set);
            }
            catch
            {
                set.Dispose();
                throw;
            }
        }
        if (request.HasJsonContentType())
        {
            try
            {
                var payload = await JsonSerializer.DeserializeAsync<SendMessageRequest>(request.Body, json.Value.SerializerOptions, cancellationToken);
                return new MessageUpload(payload ?? throw ApiException.BadRequest(ApiErrors.InvalidJson, "The request body contains invalid JSON."), null);
            }
            catch (JsonException ex)
            {
                // Described like the framework's own binding failures (field errors or 50109).
                throw new BadHttpRequestException("Invalid JSON", StatusCodes.Status400BadRequest, ex);
            }
        }
        throw new ApiException(StatusCodes.Status415UnsupportedMediaType,
            new ApiError(ApiErrors.GeneralError, "415: Unsupported Media Type (application/json or multipart/form-data expected)"));
    }

    private SendMessageRequest Parse(string text)
    {
        try
        {
            return JsonSerializer.Deserialize<SendMessageRequest>(text, json.Value.SerializerOptions)
                ?? throw ApiException.BadRequest(ApiErrors.InvalidJson, "payload_json is not a JSON object.");
        }
        catch (JsonException ex)
        {
            throw new BadHttpRequestException("Invalid JSON", StatusCodes.Status400BadRequest, ex);
        }
    }

    /// <summary>Pairs each file with its <c>attachments</c> entry (by <c>id</c> = n of <c>files[n]</c>).</summary>
    public IReadOnlyList<DescribedFile> Describe(MessageUpload upload, FormErrors errors)
    {
        ArgumentNullException.ThrowIfNull(upload);
        ArgumentNullException.ThrowIfNull(errors);
        var entries = upload.Payload.Attachments ?? [];
        var byIndex = new Dictionary<int, AttachmentRequest>();
        for (var i = 0; i < entries.Count; i++)
        {
            var entry = entries[i];
            if (AttachmentIndex(entry.Id) is not { } index || upload.Files.All(f => f.Index != index))
                errors.Add($"attachments.{i}.id", "ATTACHMENT_NOT_FOUND", "No file was uploaded for this attachment id.");
            else
                byIndex[index] = entry;
            if (entry.Description is { Length: > 1024 })
                errors.Add($"attachments.{i}.description", "BASE_TYPE_MAX_LENGTH", "Must be 1024 or fewer in length.");
        }
        return upload.Files.OrderBy(f => f.Index).Select(f =>
        {
            var entry = byIndex.GetValueOrDefault(f.Index);
            return new DescribedFile(f, entry?.Filename is { Length: > 0 } name ? FileNames.Sanitize(name) : f.Filename, entry?.Description);
        }).ToList();
    }

    private static int? AttachmentIndex(JsonElement id) => id.ValueKind switch
    {
        JsonValueKind.Number when id.TryGetInt32(out var n) => n,
        JsonValueKind.String when int.TryParse(id.GetString(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out var n) => n,
        _ => null,
    };

    /// <summary>Strips location data from images, moves each file into the store and describes it as an attachment row.</summary>
    public async Task<List<Attachment>> StoreAsync(MessageUpload upload, IReadOnlyList<DescribedFile> files, Message message, SnowflakeGenerator ids,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(files);
        ArgumentNullException.ThrowIfNull(message);
        ArgumentNullException.ThrowIfNull(ids);
        var result = new List<Attachment>();
        foreach (var (file, filename, description) in files)
        {
            ImageFacts? facts = null;
            if (file.Type.IsImage)
            {
                await using (var stream = new FileStream(file.TempPath, FileMode.Open, FileAccess.ReadWrite, FileShare.None))
                    LocationStripper.Strip(stream, file.Type.ContentType);
                if (file.Type.Inline)
                    facts = Images.Probe(file.TempPath);
            }
            var key = await store.CommitAsync(file.TempPath, cancellationToken);
            result.Add(new Attachment
            {
                Id = ids.Next(),
                MessageId = message.Id,
                ChannelId = message.ChannelId,
                Filename = filename,
                Description = description,
                ContentType = file.Type.ContentType,
                Size = file.Size,
                StorageKey = key,
                Width = facts?.Width,
                Height = facts?.Height,
                Spoiler = filename.StartsWith("SPOILER_", StringComparison.Ordinal),
            });
        }
        return result;
    }
}

/// <summary>One uploaded file, complete, in the upload temp folder.</summary>
public sealed record UploadedFile(int Index, string Filename, string TempPath, long Size, SniffedType Type);

/// <summary>
/// What a <c>multipart/form-data</c> message upload carried: <c>payload_json</c> (or plain form
/// fields) and <c>files[n]</c>. Disposing deletes every temp file not yet committed, so a refused
/// or failed request leaves nothing behind.
/// </summary>
public sealed partial class UploadSet : IDisposable
{
    public string? PayloadJson { get; internal set; }

    public Dictionary<string, string> Fields { get; } = new(StringComparer.Ordinal);

    public List<UploadedFile> Files { get; } = [];

    public void Dispose()
    {
        foreach (var file in Files)
            File.Delete(file.TempPath);
    }

    public static bool IsMultipart(HttpRequest request) =>
        request?.ContentType is { } type && type.StartsWith("multipart/form-data", StringComparison.OrdinalIgnoreCase);

    /// <summary>Room for the allowed files plus the JSON part; Kestrel refuses anything larger with 413.</summary>
    public static long RequestLimit(FileSettings settings) =>
        (settings.MaxUploadBytes * settings.MaxFilesPerMessage) + (1 << 20);

    /// <summary>
    /// Streams each part to disk as it arrives (never the whole request in memory), stopping with
    /// 413 at the first file over the size limit and 400 past the file count.
    /// </summary>
    public static async Task<UploadSet> ReadAsync(HttpRequest request, FileSettings settings, UploadTemp temp, bool filesAllowed, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(settings);
        ArgumentNullException.ThrowIfNull(temp);
        if (request.HttpContext.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } limit)
            limit.MaxRequestBodySize = RequestLimit(settings);
        if (!MediaTypeHeaderValue.TryParse(request.ContentType, out var mediaType)
            || HeaderUtilities.RemoveQuotes(mediaType.Boundary).Value is not { Length: > 0 and <= 200 } boundary)
            throw ApiException.BadRequest(ApiErrors.InvalidFormBody, "Invalid multipart body: no boundary.");

        var set = new UploadSet();
        try
        {
            var reader = new MultipartReader(boundary, request.Body) { HeadersLengthLimit = 16 * 1024 };
            while (await ReadSectionAsync(reader, cancellationToken) is { } section)
            {
                if (!ContentDispositionHeaderValue.TryParse(section.ContentDisposition, out var disposition)
                    || !disposition.DispositionType.Equals("form-data", StringComparison.OrdinalIgnoreCase))
                    continue;
                var name = HeaderUtilities.RemoveQuotes(disposition.Name).Value ?? "";
                var fileIndex = FileIndex(name);
                if (fileIndex is null)
                {
                    var value = await ReadFieldAsync(section.Body, cancellationToken);
                    if (name == "payload_json")
                        set.PayloadJson = value;
                    else if (value.Contains('\0', StringComparison.Ordinal))
                        throw ApiException.Invalid(name, "BASE_TYPE_INVALID", "Invalid value."); // as JSON strings are (Json.cs)
                    else
                        set.Fields[name] = value;
                    continue;
                }
                if (!filesAllowed)
                    throw ApiException.MissingPermissions();
                if (set.Files.Count >= settings.MaxFilesPerMessage)
                    throw ApiException.Invalid("files", "BASE_TYPE_MAX_LENGTH", $"Must be {settings.MaxFilesPerMessage} or fewer in length.");
                if (set.Files.Any(f => f.Index == fileIndex))
                    throw ApiException.Invalid($"files[{fileIndex}]", "BASE_TYPE_DUPLICATE", "The same file index is given twice.");
                var claimed = HeaderUtilities.RemoveQuotes(disposition.FileNameStar.HasValue ? disposition.FileNameStar : disposition.FileName).Value;
                set.Files.Add(await ReceiveFileAsync(section.Body, fileIndex.Value, FileNames.Sanitize(claimed), settings, temp, cancellationToken));
            }
            return set;
        }
        catch (IOException ex) when (ex is not BadHttpRequestException)
        {
            set.Dispose();
            throw ApiException.BadRequest(ApiErrors.InvalidFormBody, "Invalid multipart body: it ended before its closing boundary.");
        }
        catch
        {
            set.Dispose();
            throw;
        }
    }

    private static async Task<MultipartSection?> ReadSectionAsync(MultipartReader reader, CancellationToken cancellationToken)
    {
        try
        {
            return await reader.ReadNextSectionAsync(cancellationToken);
        }
        catch (InvalidDataException ex)
        {
            throw ApiException.BadRequest(ApiErrors.InvalidFormBody, $"Invalid multipart body: {ex.Message}");
        }
    }

    /// <summary><c>files[n]</c> (Discord), or <c>file</c>/<c>fileN</c> (older libraries).</summary>
    private static int? FileIndex(string name)
    {
        var match = FilePartName().Match(name);
        if (!match.Success)
            return null;
        var digits = match.Groups[1].Success ? match.Groups[1].Value : match.Groups[2].Value;
        return digits.Length == 0 ? 0 : int.TryParse(digits, NumberStyles.None, CultureInfo.InvariantCulture, out var n) && n < 1000 ? n : null;
    }

    [GeneratedRegex(@"^(?:files\[(\d{1,3})\]|file(\d{0,3}))$")]
    private static partial Regex FilePartName();

    private static async Task<string> ReadFieldAsync(Stream body, CancellationToken cancellationToken)
    {
        const int MaxField = 64 * 1024;
        using var buffer = new MemoryStream();
        var chunk = new byte[8192];
        int read;
        while ((read = await body.ReadAsync(chunk, cancellationToken)) > 0)
        {
            if (buffer.Length + read > MaxField)
                throw new ApiException(StatusCodes.Status413PayloadTooLarge, new ApiError(ApiErrors.RequestEntityTooLarge, "Request entity too large: a form field is over 64 KB."));
            buffer.Write(chunk, 0, read);
        }
        try
        {
            return new UTF8Encoding(false, true).GetString(buffer.GetBuffer(), 0, (int)buffer.Length);
        }
        catch (DecoderFallbackException)
        {
            throw ApiException.BadRequest(ApiErrors.InvalidFormBody, "Form fields must be UTF-8.");
        }
    }

    private static async Task<UploadedFile> ReceiveFileAsync(Stream body, int index, string filename, FileSettings settings, UploadTemp temp,
        CancellationToken cancellationToken)
    {
        var path = temp.NewPath();
        try
        {
            long size = 0;
            var head = new byte[ContentSniffer.HeadLength];
            var headLength = 0;
            await using (var file = new FileStream(path, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16, FileOptions.Asynchronous))
            {
                var buffer = new byte[1 << 16];
                int read;
                while ((read = await body.ReadAsync(buffer, cancellationToken)) > 0)
                {
                    size += read;
                    if (size > settings.MaxUploadBytes)
                        throw new ApiException(StatusCodes.Status413PayloadTooLarge, new ApiError(ApiErrors.RequestEntityTooLarge,
                            $"Request entity too large: {filename} is over the {settings.MaxUploadBytes / (1024 * 1024)} MB limit."));
                    if (headLength < head.Length)
                    {
                        var take = Math.Min(read, head.Length - headLength);
                        buffer.AsSpan(0, take).CopyTo(head.AsSpan(headLength));
                        headLength += take;
                    }
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken);
                }
            }
            return new UploadedFile(index, filename, path, size, ContentSniffer.Sniff(head.AsSpan(0, headLength)));
        }
        catch
        {
            File.Delete(path);
            throw;
        }
    }
}

/// <summary>Names people see; never used to find a file.</summary>
public static partial class FileNames
{
    /// <summary>
    /// The last path segment only, control and reserved characters replaced, at most 255
    /// characters with the extension kept; "file" when nothing usable is left. Discord-like:
    /// spaces become underscores so the name survives in a URL path.
    /// </summary>
    public static string Sanitize(string? claimed)
    {
        var name = claimed ?? "";
        var slash = name.LastIndexOfAny(['/', '\\']);
        if (slash >= 0)
            name = name[(slash + 1)..];
        name = Unsafe().Replace(name.Normalize(NormalizationForm.FormC), "_").Trim('.', '_', ' ');
        if (name.Length == 0)
            return "file";
        if (name.Length > 255)
        {
            var ext = Path.GetExtension(name);
            name = ext.Length is > 0 and <= 16 ? name[..(255 - ext.Length)] + ext : name[..255];
        }
        return name;
    }

    [GeneratedRegex(@"[\x00-\x20\x7F""*/:<>?\\|#%&+;=\[\]{}`^~'$@!,]+|\p{C}+")]
    private static partial Regex Unsafe();
}
