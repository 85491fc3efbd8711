using System.Buffers.Binary;
using SkiaSharp;

namespace Together.Server.Tests;

/// <summary>Images made on the spot for file tests: real encoders, plus hand-built EXIF and GIF.</summary>
public static class TestImages
{
    public const double Latitude = 48.858370;

    /// <summary>A solid image in the given format.</summary>
    public static byte[] Encode(int width, int height, SKEncodedImageFormat format, SKColor? colour = null)
    {
        using var bitmap = new SKBitmap(width, height);
        bitmap.Erase(colour ?? new SKColor(0x33, 0x99, 0xEE));
        using var image = SKImage.FromBitmap(bitmap);
        using var data = image.Encode(format, 90);
        return data.ToArray();
    }

    /// <summary>
    /// A TIFF block as cameras write it: IFD0 with Orientation (6: rotate 90°) and a GPS pointer;
    /// a GPS IFD with latitude ref "N" and latitude as three rationals (out of line).
    /// </summary>
    public static byte[] ExifWithGps(bool littleEndian = true)
    {
        var tiff = new byte[8 + 2 + (2 * 12) + 4 + 2 + (2 * 12) + 4 + 24];
        void U16(int at, int v) { if (littleEndian) BinaryPrimitives.WriteUInt16LittleEndian(tiff.AsSpan(at), (ushort)v); else BinaryPrimitives.WriteUInt16BigEndian(tiff.AsSpan(at), (ushort)v); }
        void U32(int at, uint v) { if (littleEndian) BinaryPrimitives.WriteUInt32LittleEndian(tiff.AsSpan(at), v); else BinaryPrimitives.WriteUInt32BigEndian(tiff.AsSpan(at), v); }
        tiff[0] = tiff[1] = (byte)(littleEndian ? 'I' : 'M');
        U16(2, 42);
        U32(4, 8);
        U16(8, 2);
        // Orientation, SHORT, 1, value 6
        U16(10, 0x0112); U16(12, 3); U32(14, 1); U16(18, 6);
        // GPSInfo pointer, LONG, 1
        const int gps = 8 + 2 + 24 + 4;
        U16(22, 0x8825); U16(24, 4); U32(26, 1); U32(30, gps);
        U32(34, 0);
        U16(gps, 2);
        // GPSLatitudeRef, ASCII, 2, "N\0"
        U16(gps + 2, 1); U16(gps + 4, 2); U32(gps + 6, 2); tiff[gps + 10] = (byte)'N';
        // GPSLatitude, RATIONAL, 3, at the end
        const int values = gps + 2 + 24 + 4;
        U16(gps + 14, 2); U16(gps + 16, 5); U32(gps + 18, 3); U32(gps + 22, values);
        U32(gps + 26, 0);
        U32(values, 48); U32(values + 4, 1); U32(values + 8, 51); U32(values + 12, 1); U32(values + 16, 3013); U32(values + 20, 100);
        return tiff;
    }

    /// <summary>The latitude's seconds as stored (3013/100): gone when the GPS data is.</summary>
    public static byte[] LatitudeSecondsLittleEndian => [0xC5, 0x0B, 0, 0, 100, 0, 0, 0];

    /// <summary>A JPEG with an APP1 Exif segment carrying GPS, and an XMP packet naming it too.</summary>
    public static byte[] JpegWithLocation()
    {
        var jpeg = Encode(40, 20, SKEncodedImageFormat.Jpeg);
        var exif = "Exif\0\0"u8.ToArray().Concat(ExifWithGps()).ToArray();
        var xmp = "http://ns.adobe.com/xap/1.0/\0<x:xmpmeta><rdf:Description exif:GPSLatitude=\"48,51.5N\"/></x:xmpmeta>"u8.ToArray();
        return [.. jpeg[..2], .. Segment(0xE1, exif), .. Segment(0xE1, xmp), .. jpeg[2..]];
    }

    private static byte[] Segment(byte marker, byte[] payload)
    {
        var header = new byte[4];
        header[0] = 0xFF;
        header[1] = marker;
        BinaryPrimitives.WriteUInt16BigEndian(header.AsSpan(2), (ushort)(payload.Length + 2));
        return [.. header, .. payload];
    }

    /// <summary>A PNG with an eXIf chunk (GPS inside) before IDAT.</summary>
    public static byte[] PngWithLocation() =>
        InsertAfterPngHeader(Encode(8, 8, SKEncodedImageFormat.Png), PngChunk("eXIf", ExifWithGps(littleEndian: false)));

    /// <summary>A PNG chunk: length, type, data and its CRC.</summary>
    public static byte[] PngChunk(string type, byte[] data)
    {
        var chunk = new byte[12 + data.Length];
        BinaryPrimitives.WriteUInt32BigEndian(chunk, (uint)data.Length);
        System.Text.Encoding.ASCII.GetBytes(type).CopyTo(chunk, 4);
        data.CopyTo(chunk, 8);
        BinaryPrimitives.WriteUInt32BigEndian(chunk.AsSpan(8 + data.Length), System.IO.Hashing.Crc32.HashToUInt32(chunk.AsSpan(4, 4 + data.Length)));
        return chunk;
    }

    /// <summary>The chunk placed after the signature and IHDR (8 + 25 bytes).</summary>
    public static byte[] InsertAfterPngHeader(byte[] png, byte[] chunk) => [.. png[..33], .. chunk, .. png[33..]];

    /// <summary>A 2×1 GIF with two frames: an animation.</summary>
    public static byte[] AnimatedGif()
    {
        byte[] header = [.. "GIF89a"u8, 1, 0, 1, 0, 0x80, 0, 0, 0xFF, 0, 0, 0, 0, 0xFF,
            0x21, 0xFF, 0x0B, .. "NETSCAPE2.0"u8, 3, 1, 0, 0, 0];
        byte[] Frame(byte index) => [0x21, 0xF9, 4, 0, 10, 0, 0, 0, 0x2C, 0, 0, 0, 0, 1, 0, 1, 0, 0, 2, 2, index == 0 ? (byte)0x44 : (byte)0x4C, 1, 0];
        return [.. header, .. Frame(0), .. Frame(1), 0x3B];
    }
}
