using System.Buffers.Binary;
using System.IO.Hashing;

namespace Together.Server.Features.Files;

/// <summary>
/// Removes where a photo was taken from JPEG, PNG, WebP and HEIF/AVIF files before they are stored, without
/// re-encoding: the EXIF GPS directory is emptied in place (every other tag, orientation
/// included, stays) and XMP packets that mention GPS are blanked. Edits keep every length, so
/// the rest of the file is untouched and nothing has to be rewritten.
/// </summary>
public static class LocationStripper
{
    private const ushort GpsIfdTag = 0x8825;

    /// <summary>Strips the file in place; true when something was removed.</summary>
    public static bool Strip(Stream file, string contentType)
    {
        ArgumentNullException.ThrowIfNull(file);
        try
        {
            return contentType switch
            {
                "image/jpeg" => StripJpeg(file),
                "image/png" => StripPng(file),
                "image/webp" => StripWebp(file),
                "image/heic" or "image/avif" => StripHeif(file),
                _ => false,
            };
        }
        catch (EndOfStreamException)
        {
            // A truncated file: whatever was found before the end has been handled.
            return false;
        }
    }

    /// <summary>Empties the GPS IFD of a TIFF block (EXIF without its "Exif\0\0" prefix).</summary>
    public static bool StripTiff(Span<byte> tiff)
    {
        if (tiff.Length < 8)
            return false;
        bool little;
        if (tiff[0] == 'I' && tiff[1] == 'I')
            little = true;
        else if (tiff[0] == 'M' && tiff[1] == 'M')
            little = false;
        else
            return false;
        if (U16(tiff, little, 2) != 42)
            return false;
        var ifd0 = U32(tiff, little, 4);
        if (ifd0 > tiff.Length - 2)
            return false;
        var count = U16(tiff, little, (int)ifd0);
        for (var i = 0; i < count; i++)
        {
            var entry = (int)ifd0 + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
                return false;
            if (U16(tiff, little, entry) != GpsIfdTag)
                continue;
            var gps = U32(tiff, little, entry + 8);
            return gps <= tiff.Length - 2 && EmptyIfd(tiff, (int)gps, little);
        }
        return false;
    }

    private static ushort U16(ReadOnlySpan<byte> tiff, bool little, int at) =>
        little ? BinaryPrimitives.ReadUInt16LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt16BigEndian(tiff[at..]);

    private static uint U32(ReadOnlySpan<byte> tiff, bool little, int at) =>
        little ? BinaryPrimitives.ReadUInt32LittleEndian(tiff[at..]) : BinaryPrimitives.ReadUInt32BigEndian(tiff[at..]);

    private static bool EmptyIfd(Span<byte> tiff, int at, bool little)
    {
        int count = U16(tiff, little, at);
        if (count == 0)
            return false;
        for (var i = 0; i < count; i++)
        {
            var entry = at + 2 + (i * 12);
            if (entry + 12 > tiff.Length)
                break;
            var type = U16(tiff, little, entry + 2);
            var n = U32(tiff, little, entry + 4);
            var size = (long)n * TypeSize(type);
            if (size > 4)
            {
                var offset = U32(tiff, little, entry + 8);
                if (offset < tiff.Length && offset + size <= tiff.Length)
                    tiff.Slice((int)offset, (int)size).Clear();
            }
            tiff.Slice(entry, 12).Clear();
        }
        // No entries; the next-IFD link that now follows the count reads as zero: none.
        tiff.Slice(at, 2).Clear();
        return true;
    }

    private static int TypeSize(ushort type) => type switch
    {
        1 or 2 or 6 or 7 => 1,
        3 or 8 => 2,
        4 or 9 or 11 => 4,
        5 or 10 or 12 => 8,
        _ => 1,
    };

    private static bool MentionsGps(ReadOnlySpan<byte> xmp) => xmp.IndexOf("GPS"u8) >= 0;

    private static bool StripJpeg(Stream file)
    {
        var changed = false;
        file.Position = 2;
        Span<byte> marker = stackalloc byte[4];
        while (true)
        {
            file.ReadExactly(marker[..2]);
            if (marker[0] != 0xFF)
                return changed;
            var code = marker[1];
            if (code == 0xFF)
            {
                file.Position -= 1; // fill byte
                continue;
            }
            if (code is 0xDA or 0xD9)
                return changed; // image data or end: metadata comes before it
            if (code is 0x01 or (>= 0xD0 and <= 0xD7))
                continue;
            file.ReadExactly(marker[2..4]);
            var length = BinaryPrimitives.ReadUInt16BigEndian(marker[2..]) - 2;
            if (length < 0)
                return changed;
            var start = file.Position;
            if (code == 0xE1)
            {
                var payload = new byte[length];
                file.ReadExactly(payload);
                var edited = false;
                if (payload.AsSpan().StartsWith("Exif\0\0"u8))
                    edited = StripTiff(payload.AsSpan(6));
                else if (payload.AsSpan().StartsWith("http://ns.adobe.com/"u8) && MentionsGps(payload))
                {
                    var body = payload.AsSpan().IndexOf((byte)0) + 1;
                    payload.AsSpan(body).Fill((byte)' ');
                    edited = true;
                }
                if (edited)
                {
                    file.Position = start;
                    file.Write(payload);
                    changed = true;
                }
            }
            file.Position = start + length;
        }
    }

    private static bool StripPng(Stream file)
    {
        var changed = false;
        file.Position = 8;
        Span<byte> header = stackalloc byte[8];
        Span<byte> crc = stackalloc byte[4];
        while (file.Position + 12 <= file.Length)
        {
            file.ReadExactly(header);
            var length = BinaryPrimitives.ReadUInt32BigEndian(header);
            var start = file.Position;
            if (length > file.Length - start - 4)
                return changed;
            if (header[4..].SequenceEqual("eXIf"u8))
            {
                var chunk = new byte[4 + length];
                header[4..].CopyTo(chunk);
                file.ReadExactly(chunk.AsSpan(4));
                var data = chunk.AsSpan(4);
                if (StripTiff(data.StartsWith("Exif\0\0"u8) ? data[6..] : data))
                {
                    file.Position = start;
                    file.Write(data);
                    BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(chunk));
                    file.Write(crc);
                    changed = true;
                }
            }
            else if (header[4..].SequenceEqual("iTXt"u8) && length <= MaxXmpChunk)
            {
                var chunk = new byte[4 + length];
                header[4..].CopyTo(chunk);
                file.ReadExactly(chunk.AsSpan(4));
                if (BlankXmpWithGps(chunk.AsSpan(4)))
                {
                    file.Position = start;
                    file.Write(chunk.AsSpan(4));
                    BinaryPrimitives.WriteUInt32BigEndian(crc, Crc32.HashToUInt32(chunk));
                    file.Write(crc);
                    changed = true;
                }
            }
            else if (header[4..].SequenceEqual("IEND"u8))
                return changed;
            file.Position = start + length + 4;
        }
        return changed;
    }

    private const int MaxXmpChunk = 4 << 20;

    /// <summary>
    /// PNG keeps XMP in an iTXt chunk with the keyword <c>XML:com.adobe.xmp</c>: keyword, NUL,
    /// compression flag and method, language tag, NUL, translated keyword, NUL, then the text
    /// (deflated when the flag is 1). When the packet mentions GPS, its text becomes spaces, stored
    /// uncompressed in the same length, so the chunk stays valid and the image untouched.
    /// </summary>
    private static bool BlankXmpWithGps(Span<byte> data)
    {
        if (!data.StartsWith("XML:com.adobe.xmp\0"u8))
            return false;
        var at = "XML:com.adobe.xmp\0"u8.Length;
        if (data.Length < at + 2)
            return false;
        var compressed = data[at] == 1;
        var flags = at;
        at += 2;
        for (var nul = 0; nul < 2; nul++)
        {
            var end = data[at..].IndexOf((byte)0);
            if (end < 0)
                return false;
            at += end + 1;
        }
        var text = data[at..];
        if (compressed)
        {
            // Inflated with a cap: a deflate bomb in an upload must not take the server's memory.
            // A packet past the cap is no real XMP; it is blanked like one that mentions GPS.
            var plain = new byte[MaxXmpChunk];
            var length = 0;
            try
            {
                using var inflate = new System.IO.Compression.ZLibStream(new MemoryStream(text.ToArray()), System.IO.Compression.CompressionMode.Decompress);
                int read;
                while (length < plain.Length && (read = inflate.Read(plain, length, plain.Length - length)) > 0)
                    length += read;
            }
            catch (InvalidDataException)
            {
                return false;
            }
            if (length < plain.Length && !MentionsGps(plain.AsSpan(0, length)))
                return false;
        }
        else if (!MentionsGps(text))
            return false;
        data[flags] = 0;
        data[flags + 1] = 0;
        text.Fill((byte)' ');
        return true;
    }

    /// <summary>
    /// HEIF (iPhone photos) and AVIF keep EXIF as an item whose bytes start with "Exif\0\0" and a
    /// TIFF header, and XMP as an item of raw XML, wherever the item table puts them. Rather than
    /// walk the box tree, every such block in the file is found: an EXIF block gets its GPS
    /// directory emptied (the TIFF parser is bounds-checked, so a chance match in image data
    /// changes nothing unless it really is a TIFF with GPS), an XMP packet that mentions GPS keeps
    /// its <c>x:xmpmeta</c> element but nothing inside it.
    /// </summary>
    private static bool StripHeif(Stream file) =>
        ForEachMarker(file, "Exif\0\0"u8, StripExifItem) | ForEachMarker(file, "<x:xmpmeta"u8, BlankXmpPacket);

    /// <summary>
    /// Calls <paramref name="handle"/> with the offset of every occurrence of the marker, reading
    /// the file in 1 MB chunks that overlap by the marker's length, so one cut by a chunk's end is
    /// seen whole in the next (and handled there only).
    /// </summary>
    private static bool ForEachMarker(Stream file, ReadOnlySpan<byte> marker, Func<Stream, long, bool> handle)
    {
        const int Chunk = 1 << 20;
        var changed = false;
        var buffer = new byte[Chunk + marker.Length];
        long position = 0;
        while (position < file.Length)
        {
            file.Position = position;
            var read = file.ReadAtLeast(buffer, buffer.Length, throwOnEndOfStream: false);
            var span = buffer.AsSpan(0, read);
            var from = 0;
            while (from < span.Length)
            {
                var at = span[from..].IndexOf(marker);
                if (at < 0)
                    break;
                at += from;
                if (at < Chunk || read < buffer.Length)
                    changed |= handle(file, position + at);
                from = at + marker.Length;
            }
            if (read < buffer.Length)
                break;
            position += Chunk;
        }
        return changed;
    }

    private static bool StripExifItem(Stream file, long marker)
    {
        const int ExifWindow = 1 << 16;
        var start = marker + 6;
        if (start + 4 > file.Length)
            return false;
        Span<byte> head = stackalloc byte[4];
        file.Position = start;
        file.ReadExactly(head);
        if (!head.SequenceEqual("II*\0"u8) && !head.SequenceEqual("MM\0*"u8))
            return false;
        var block = new byte[(int)Math.Min(ExifWindow, file.Length - start)];
        file.Position = start;
        file.ReadExactly(block);
        if (!StripTiff(block))
            return false;
        file.Position = start;
        file.Write(block);
        return true;
    }

    private static bool BlankXmpPacket(Stream file, long marker)
    {
        var window = new byte[(int)Math.Min(MaxXmpChunk, file.Length - marker)];
        file.Position = marker;
        file.ReadExactly(window);
        var open = window.AsSpan().IndexOf((byte)'>');
        var close = window.AsSpan().IndexOf("</x:xmpmeta>"u8);
        if (open < 0 || close <= open)
            return false;
        var body = window.AsSpan(open + 1, close - open - 1);
        if (!MentionsGps(body))
            return false;
        body.Fill((byte)' ');
        file.Position = marker + open + 1;
        file.Write(body);
        return true;
    }

    private static bool StripWebp(Stream file)
    {
        var changed = false;
        file.Position = 12;
        Span<byte> header = stackalloc byte[8];
        while (file.Position + 8 <= file.Length)
        {
            file.ReadExactly(header);
            var length = BinaryPrimitives.ReadUInt32LittleEndian(header[4..]);
            var start = file.Position;
            if (length > file.Length - start)
                return changed;
            var fourcc = header[..4];
            if (fourcc.SequenceEqual("EXIF"u8) || fourcc.SequenceEqual("XMP "u8))
            {
                var data = new byte[length];
                file.ReadExactly(data);
                bool edited;
                if (fourcc.SequenceEqual("EXIF"u8))
                    edited = StripTiff(data.AsSpan().StartsWith("Exif\0\0"u8) ? data.AsSpan(6) : data);
                else if (edited = MentionsGps(data))
                    data.AsSpan().Fill((byte)' ');
                if (edited)
                {
                    file.Position = start;
                    file.Write(data);
                    changed = true;
                }
            }
            file.Position = start + length + (length & 1);
        }
        return changed;
    }
}
