using Microsoft.Extensions.Time.Testing;
using SkiaSharp;
using Together.Server.Features.Auth;
using Together.Server.Features.Files;

namespace Together.Server.Tests;

/// <summary>The pure parts of file handling: sniffing, names, location stripping, URL signatures.</summary>
public sealed class FileCodecTests
{
    [Theory]
    [InlineData("89504E470D0A1A0A0000000D49484452", "image/png", true)]
    [InlineData("FFD8FFE000104A464946", "image/jpeg", true)]
    [InlineData("474946383961", "image/gif", true)]
    [InlineData("524946460000000057454250565038", "image/webp", true)]
    [InlineData("000000186674797069736F6D", "video/mp4", true)]
    [InlineData("1A45DFA3A34286810142F7810142F2810442F381084282847765626D", "video/webm", true)]
    [InlineData("4F67675300020000", "audio/ogg", true)]
    [InlineData("494433040000", "audio/mpeg", true)]
    [InlineData("255044462D312E37", "application/pdf", false)]
    [InlineData("504B0304", "application/zip", false)]
    [InlineData("7F454C46020101000000000000000000", "application/octet-stream", false)]
    public void Known_signatures_are_recognised(string hex, string type, bool inline)
    {
        var sniffed = ContentSniffer.Sniff(Convert.FromHexString(hex));
        Assert.Equal(type, sniffed.ContentType);
        Assert.Equal(inline, sniffed.Inline);
    }

    [Theory]
    [InlineData("<!DOCTYPE html><html><script>alert(document.cookie)</script></html>")]
    [InlineData("<svg xmlns=\"http://www.w3.org/2000/svg\" onload=\"alert(1)\"/>")]
    [InlineData("<?xml version=\"1.0\"?><x/>")]
    [InlineData("hello, plain notes\nline two")]
    public void Markup_and_script_are_only_ever_text_to_download(string content)
    {
        var sniffed = ContentSniffer.Sniff(System.Text.Encoding.UTF8.GetBytes(content));
        Assert.Equal("text/plain; charset=utf-8", sniffed.ContentType);
        Assert.False(sniffed.Inline);
    }

    [Theory]
    [InlineData("../../etc/passwd", "passwd")]
    [InlineData("..\\..\\windows\\system32\\cmd.exe", "cmd.exe")]
    [InlineData("/abs/path/photo.png", "photo.png")]
    [InlineData("my holiday pic.jpg", "my_holiday_pic.jpg")]
    [InlineData("..", "file")]
    [InlineData("", "file")]
    [InlineData(null, "file")]
    [InlineData("a\u0000b\u202Ec.txt", "a_b_c.txt")]
    [InlineData("SPOILER_boss.png", "SPOILER_boss.png")]
    [InlineData("résumé.pdf", "résumé.pdf")]
    public void File_names_are_never_paths(string? claimed, string expected) => Assert.Equal(expected, FileNames.Sanitize(claimed));

    [Fact]
    public void Long_names_keep_their_extension()
    {
        var name = FileNames.Sanitize(new string('x', 400) + ".png");
        Assert.Equal(255, name.Length);
        Assert.EndsWith(".png", name, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void Tiff_gps_directory_is_emptied_and_orientation_kept(bool little)
    {
        var tiff = TestImages.ExifWithGps(little);
        Assert.True(LocationStripper.StripTiff(tiff));
        // Orientation entry untouched.
        Assert.Equal(little ? 0x12 : 0x01, tiff[10]);
        Assert.Equal(6, little ? tiff[18] : tiff[19]);
        // GPS IFD now has no entries, and the values it pointed at are zero.
        const int gps = 8 + 2 + 24 + 4;
        Assert.Equal(0, tiff[gps] | tiff[gps + 1]);
        Assert.All(tiff[gps..], b => Assert.Equal(0, b));
        Assert.False(LocationStripper.StripTiff(tiff));
    }

    [Fact]
    public void Broken_tiff_blocks_are_left_alone_without_exceptions()
    {
        var tiff = TestImages.ExifWithGps();
        foreach (var length in new[] { 0, 3, 8, 12, 30, 40, 60 })
        {
            var cut = tiff[..Math.Min(length, tiff.Length)];
            LocationStripper.StripTiff(cut);
        }
        var pointingOut = TestImages.ExifWithGps();
        pointingOut[30] = 0xFF; // GPS offset far past the end
        Assert.False(LocationStripper.StripTiff(pointingOut));
    }

    [Fact]
    public void Jpeg_loses_location_but_keeps_its_size_orientation_and_pixels()
    {
        var original = TestImages.JpegWithLocation();
        using var file = new MemoryStream();
        file.Write(original);
        Assert.True(LocationStripper.Strip(file, "image/jpeg"));
        var stripped = file.ToArray();
        Assert.Equal(original.Length, stripped.Length);
        Assert.True(original.AsSpan().IndexOf(TestImages.LatitudeSecondsLittleEndian) > 0);
        Assert.True(stripped.AsSpan().IndexOf(TestImages.LatitudeSecondsLittleEndian) < 0);
        Assert.True(stripped.AsSpan().IndexOf("GPSLatitude"u8) < 0);
        using var codec = SKCodec.Create(new MemoryStream(stripped));
        Assert.NotNull(codec);
        Assert.Equal(SKEncodedOrigin.RightTop, codec.EncodedOrigin);
        Assert.Equal(40, codec.Info.Width);
    }

    [Fact]
    public void Png_exif_chunk_loses_location_with_a_valid_crc()
    {
        var original = TestImages.PngWithLocation();
        using var file = new MemoryStream();
        file.Write(original);
        Assert.True(LocationStripper.Strip(file, "image/png"));
        var stripped = file.ToArray();
        Assert.True(stripped.AsSpan().IndexOf(new byte[] { 0, 0, 0x0B, 0xC5, 0, 0, 0, 100 }) < 0);
        var at = stripped.AsSpan().IndexOf("eXIf"u8);
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(stripped.AsSpan(at - 4));
        var crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(stripped.AsSpan(at + 4 + length));
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(stripped.AsSpan(at, 4 + length)), crc);
        using var bitmap = SKBitmap.Decode(stripped);
        Assert.Equal(8, bitmap.Width);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Png_xmp_with_gps_is_blanked_and_other_text_kept(bool compressed)
    {
        const string xmp = """<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="48,51.4N" exif:GPSLongitude="2,21.1E"/></rdf:RDF></x:xmpmeta>""";
        var png = TestImages.Encode(8, 8, SKEncodedImageFormat.Png);
        var withXmp = TestImages.InsertAfterPngHeader(png, TestImages.PngChunk("iTXt", [.. "XML:com.adobe.xmp\0"u8, compressed ? (byte)1 : (byte)0, 0, 0, 0, .. Text(xmp, compressed)]));
        var comment = TestImages.PngChunk("iTXt", [.. "Comment\0"u8, 0, 0, 0, 0, .. "GPS tips for the raid"u8]);
        var file = new MemoryStream();
        file.Write(TestImages.InsertAfterPngHeader(withXmp, comment));

        Assert.True(LocationStripper.Strip(file, "image/png"));

        var stripped = file.ToArray();
        Assert.True(stripped.AsSpan().IndexOf("GPSLatitude"u8) < 0);
        Assert.True(stripped.AsSpan().IndexOf("GPS tips for the raid"u8) > 0); // not XMP: left alone
        var at = stripped.AsSpan().IndexOf("XML:com.adobe.xmp"u8) - 4;
        var length = System.Buffers.Binary.BinaryPrimitives.ReadInt32BigEndian(stripped.AsSpan(at - 4));
        Assert.Equal(0, stripped[at + 4 + "XML:com.adobe.xmp\0"u8.Length]); // stored uncompressed now
        var crc = System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(stripped.AsSpan(at + 4 + length));
        Assert.Equal(System.IO.Hashing.Crc32.HashToUInt32(stripped.AsSpan(at, 4 + length)), crc);
        using var bitmap = SKBitmap.Decode(stripped);
        Assert.Equal(8, bitmap.Width);

        static byte[] Text(string text, bool deflate)
        {
            var bytes = System.Text.Encoding.UTF8.GetBytes(text);
            if (!deflate)
                return bytes;
            using var output = new MemoryStream();
            using (var zlib = new System.IO.Compression.ZLibStream(output, System.IO.Compression.CompressionLevel.Optimal, leaveOpen: true))
                zlib.Write(bytes);
            return output.ToArray();
        }
    }

    [Theory]
    [InlineData(100)]
    [InlineData((1 << 20) - 9)] // the marker cut by the scanner's chunk boundary
    public void Heif_exif_items_lose_their_location_wherever_they_are(int offset)
    {
        // An ISO-BMFF file as an iPhone writes one: ftyp, then (somewhere) the Exif item, whose
        // bytes are a 4-byte header offset, "Exif\0\0" and the TIFF block.
        byte[] ftyp = [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8];
        var file = new byte[offset + 4096];
        ftyp.CopyTo(file, 0);
        byte[] item = [0, 0, 0, 6, .. "Exif\0\0"u8, .. TestImages.ExifWithGps()];
        item.CopyTo(file, offset);
        Assert.Equal("image/heic", ContentSniffer.Sniff(file.AsSpan(0, 64)).ContentType);
        using var stream = new MemoryStream();
        stream.Write(file);
        Assert.True(LocationStripper.Strip(stream, "image/heic"));
        var stripped = stream.ToArray();
        Assert.True(stripped.AsSpan().IndexOf(TestImages.LatitudeSecondsLittleEndian) < 0);
        Assert.Equal(file.Length, stripped.Length);
        // Orientation survives.
        Assert.Equal(6, stripped[offset + 4 + 6 + 18]);
    }

    [Theory]
    [InlineData(200)]
    [InlineData((1 << 20) - 25)] // "<x:xmpmeta" (20 bytes in) cut by the scanner's chunk boundary
    [InlineData((1 << 20) - 20)] // ... starting right on it
    public void Heif_xmp_items_with_gps_keep_an_empty_packet(int offset)
    {
        byte[] ftyp = [0, 0, 0, 24, .. "ftypheic"u8, 0, 0, 0, 0, .. "mif1heic"u8];
        var xmp = """<?xpacket begin=""?><x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF><rdf:Description exif:GPSLatitude="48,51.4N"/></rdf:RDF></x:xmpmeta><?xpacket end="w"?>"""u8.ToArray();
        var file = new byte[offset + 4096];
        ftyp.CopyTo(file, 0);
        xmp.CopyTo(file, offset);
        using var stream = new MemoryStream();
        stream.Write(file);

        Assert.True(LocationStripper.Strip(stream, "image/heic"));

        var stripped = stream.ToArray();
        Assert.Equal(file.Length, stripped.Length);
        Assert.True(stripped.AsSpan().IndexOf("GPSLatitude"u8) < 0);
        var packet = System.Text.Encoding.UTF8.GetString(stripped.AsSpan(offset, xmp.Length));
        Assert.Matches("""^<\?xpacket begin=""\?><x:xmpmeta xmlns:x="adobe:ns:meta/"> +</x:xmpmeta><\?xpacket end="w"\?>$""", packet);
    }

    [Fact]
    public void Images_without_location_are_not_touched()
    {
        var plain = TestImages.Encode(10, 10, SKEncodedImageFormat.Jpeg);
        using var file = new MemoryStream();
        file.Write(plain);
        Assert.False(LocationStripper.Strip(file, "image/jpeg"));
        Assert.Equal(plain, file.ToArray());
        using var truncated = new MemoryStream(TestImages.JpegWithLocation()[..20]);
        Assert.False(LocationStripper.Strip(truncated, "image/jpeg"));
    }

    [Fact]
    public void Signed_urls_verify_expire_and_reject_tampering()
    {
        var time = new FakeTimeProvider(DateTimeOffset.Parse("2026-11-26T12:00:00Z", System.Globalization.CultureInfo.InvariantCulture));
        var settings = new FileSettings { UrlLifetime = TimeSpan.FromHours(24), PublicUrl = "https://chat.example.com" };
        var keys = new SigningKeyStore(new AuthSettings { SigningKey = Convert.ToBase64String(RunningServer.SigningKey) },
            new Infrastructure.DataDirectory(Path.GetTempPath()), Microsoft.Extensions.Logging.Abstractions.NullLogger<SigningKeyStore>.Instance);
        var urls = new AttachmentUrls(keys, settings, time, new Microsoft.AspNetCore.Http.HttpContextAccessor());
        var attachment = new Data.Entities.Attachment { Id = 22, ChannelId = 11, Filename = "a b.png", ContentType = "image/png", StorageKey = new string('a', 64) };
        var url = new Uri(urls.For(attachment));
        Assert.Equal("https", url.Scheme);
        Assert.Equal("/attachments/11/22/a%20b.png", url.AbsolutePath);
        var query = System.Web.HttpUtility.ParseQueryString(url.Query);
        Assert.True(urls.Verify(11, 22, query["ex"], query["is"], query["hm"]));
        Assert.False(urls.Verify(11, 23, query["ex"], query["is"], query["hm"]));
        Assert.False(urls.Verify(12, 22, query["ex"], query["is"], query["hm"]));
        Assert.False(urls.Verify(11, 22, "ffffffff", query["is"], query["hm"]));
        Assert.False(urls.Verify(11, 22, query["ex"], query["is"], null));
        Assert.False(urls.Verify(11, 22, "zz", query["is"], query["hm"]));
        // The same URL for a while (cacheable), valid for at least the lifetime, then not.
        time.Advance(TimeSpan.FromHours(1));
        Assert.Equal(url.ToString(), new Uri(urls.For(attachment)).ToString());
        time.Advance(TimeSpan.FromHours(23));
        Assert.True(urls.Verify(11, 22, query["ex"], query["is"], query["hm"]));
        time.Advance(TimeSpan.FromHours(13));
        Assert.False(urls.Verify(11, 22, query["ex"], query["is"], query["hm"]));

        // Without Files:PublicUrl, the public gateway URL names the host.
        var behindProxy = new AttachmentUrls(keys, new FileSettings(), time, new Microsoft.AspNetCore.Http.HttpContextAccessor(),
            new Features.Gateway.GatewaySettings { PublicUrl = "wss://chat.example.org/gateway" });
        Assert.StartsWith("https://chat.example.org/attachments/11/22/", behindProxy.For(attachment), StringComparison.Ordinal);
    }
}
