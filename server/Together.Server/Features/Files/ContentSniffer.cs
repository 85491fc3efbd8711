using System.Text;

namespace Together.Server.Features.Files;

/// <summary>What a file is, from its first bytes; the name and the client's claim are ignored.</summary>
public readonly record struct SniffedType(string ContentType)
{
    public bool IsImage => ContentType.StartsWith("image/", StringComparison.Ordinal);

    /// <summary>Shown in the page rather than downloaded.</summary>
    public bool Inline => ContentSniffer.IsInline(ContentType);
}

public static class ContentSniffer
{
    /// <summary>Enough bytes for every signature below and a fair look at text.</summary>
    public const int HeadLength = 4096;

    private static readonly SniffedType Binary = new("application/octet-stream");

    private static readonly HashSet<string> InlineTypes =
    [
        "image/png", "image/jpeg", "image/gif", "image/webp", "image/avif", "image/bmp",
        "audio/wav", "audio/ogg", "audio/flac", "audio/mpeg", "audio/mp4",
        "video/mp4", "video/webm", "video/quicktime",
    ];

    /// <summary>
    /// Only raster images, audio and video that browsers render without running anything. HTML,
    /// SVG, XML and script are never recognised as such: they come out as text/plain or
    /// octet-stream, always downloaded, so an upload cannot run script in our origin.
    /// </summary>
    public static bool IsInline(string contentType) => InlineTypes.Contains(contentType);

    private static ReadOnlySpan<byte> PngSignature => [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A];
    private static ReadOnlySpan<byte> JpegSignature => [0xFF, 0xD8, 0xFF];
    private static ReadOnlySpan<byte> MatroskaSignature => [0x1A, 0x45, 0xDF, 0xA3];
    private static ReadOnlySpan<byte> GzipSignature => [0x1F, 0x8B];
    private static ReadOnlySpan<byte> SevenZipSignature => [0x37, 0x7A, 0xBC, 0xAF, 0x27, 0x1C];

    /// <summary>The type of a file from its first <see cref="HeadLength"/> bytes.</summary>
    public static SniffedType Sniff(ReadOnlySpan<byte> head)
    {
        if (head.StartsWith(PngSignature))
            return new("image/png");
        if (head.StartsWith(JpegSignature))
            return new("image/jpeg");
        if (head.StartsWith("GIF87a"u8) || head.StartsWith("GIF89a"u8))
            return new("image/gif");
        if (head.Length >= 12 && head.StartsWith("RIFF"u8))
        {
            var form = head.Slice(8, 4);
            if (form.SequenceEqual("WEBP"u8))
                return new("image/webp");
            if (form.SequenceEqual("WAVE"u8))
                return new("audio/wav");
            if (form.SequenceEqual("AVI "u8))
                return new("video/x-msvideo");
        }
        if (head.Length >= 12 && head.Slice(4, 4).SequenceEqual("ftyp"u8))
            return IsoMedia(head.Slice(8, 4));
        if (head.StartsWith(MatroskaSignature))
            return head.IndexOf("webm"u8) is >= 0 and < 64 ? new("video/webm") : new("video/x-matroska");
        if (head.StartsWith("OggS"u8))
            return new("audio/ogg");
        if (head.StartsWith("fLaC"u8))
            return new("audio/flac");
        if (head.StartsWith("ID3"u8) || (head.Length >= 2 && head[0] == 0xFF && (head[1] & 0xE0) == 0xE0 && (head[1] & 0x06) != 0))
            return new("audio/mpeg");
        if (head.StartsWith("%PDF-"u8))
            return new("application/pdf");
        if (head.StartsWith("PK\x03\x04"u8) || head.StartsWith("PK\x05\x06"u8))
            return new("application/zip");
        if (head.StartsWith(GzipSignature))
            return new("application/gzip");
        if (head.StartsWith(SevenZipSignature))
            return new("application/x-7z-compressed");
        if (head.StartsWith("Rar!\x1A\x07"u8))
            return new("application/vnd.rar");
        if (head.StartsWith("BM"u8) && head.Length >= 26)
            return new("image/bmp");
        return LooksLikeText(head) ? new("text/plain; charset=utf-8") : Binary;
    }

    private static SniffedType IsoMedia(ReadOnlySpan<byte> brand)
    {
        if (brand.SequenceEqual("avif"u8) || brand.SequenceEqual("avis"u8))
            return new("image/avif");
        if (brand.SequenceEqual("M4A "u8))
            return new("audio/mp4");
        if (brand.SequenceEqual("qt  "u8))
            return new("video/quicktime");
        if (brand.SequenceEqual("heic"u8) || brand.SequenceEqual("heix"u8) || brand.SequenceEqual("mif1"u8))
            return new("image/heic");
        return new("video/mp4");
    }

    /// <summary>UTF-8 (a cut-off character at the end allowed) with no NUL and few control bytes.</summary>
    private static bool LooksLikeText(ReadOnlySpan<byte> head)
    {
        if (head.IsEmpty)
            return true;
        var controls = 0;
        foreach (var b in head)
        {
            if (b == 0)
                return false;
            if (b < 0x20 && b is not (byte)'\n' and not (byte)'\r' and not (byte)'\t' and not 0x0C and not 0x1B)
                controls++;
        }
        if (controls * 100 > head.Length)
            return false;
        var decoder = new UTF8Encoding(false, true).GetDecoder();
        try
        {
            decoder.GetCharCount(head, flush: false);
            return true;
        }
        catch (DecoderFallbackException)
        {
            return false;
        }
    }
}
