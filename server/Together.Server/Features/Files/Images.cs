using SkiaSharp;

namespace Together.Server.Features.Files;

/// <summary>Size of an image as people see it (EXIF orientation applied), and whether it moves.</summary>
public readonly record struct ImageFacts(int Width, int Height, bool Animated);

/// <summary>
/// Image work on SkiaSharp: dimensions, thumbnails, avatars. Decoding untrusted images costs
/// memory, so one image is decoded at a time and sources above a pixel budget are not decoded at
/// all (JPEG is decoded pre-scaled, which its codec does almost for free).
/// </summary>
public sealed class Images(FileSettings settings) : IDisposable
{
    /// <summary>Avatars and icons are kept at this size; smaller sizes are made on request.</summary>
    public const int AvatarSize = 512;

    /// <summary>The thumbnail boxes served: a request is rounded up to one, so a client cannot make us render every size.</summary>
    public static readonly int[] Boxes = [64, 128, 256, 512, 1024, 2048];

    private readonly SemaphoreSlim _decoding = new(1, 1);

    private static readonly SKSamplingOptions Smooth = new(SKCubicResampler.Mitchell);

    public void Dispose() => _decoding.Dispose();

    /// <summary>Dimensions from the header alone, without decoding pixels; null when not an image Skia reads.</summary>
    public static ImageFacts? Probe(string path)
    {
        using var codec = SKCodec.Create(path);
        if (codec is null)
            return null;
        var (w, h) = (codec.Info.Width, codec.Info.Height);
        if (SwapsSides(codec.EncodedOrigin))
            (w, h) = (h, w);
        return new ImageFacts(w, h, codec.FrameCount > 1);
    }

    /// <summary>
    /// The smallest served box whose thumbnail covers the requested width and/or height of a
    /// <paramref name="width"/>×<paramref name="height"/> image (aspect kept); null when none was asked or none is smaller.
    /// </summary>
    public static int? BoxToCover(int width, int height, int? wantedWidth, int? wantedHeight)
    {
        var scale = Math.Max(wantedWidth is > 0 ? (double)wantedWidth.Value / width : 0, wantedHeight is > 0 ? (double)wantedHeight.Value / height : 0);
        if (scale is <= 0 or >= 1)
            return null;
        var longSide = (int)Math.Ceiling(Math.Max(width, height) * scale);
        foreach (var box in Boxes)
            if (box >= longSide)
                return box;
        return null;
    }

    /// <summary>A WebP no larger than <paramref name="box"/> either way, or null when the source may not or cannot be decoded.</summary>
    public async Task<byte[]?> ThumbnailAsync(byte[] source, int box, CancellationToken cancellationToken)
    {
        await _decoding.WaitAsync(cancellationToken);
        try
        {
            using var bitmap = Decode(source, box);
            if (bitmap is null)
                return null;
            using var scaled = Fit(bitmap, box);
            return Encode(scaled, SKEncodedImageFormat.Webp, 80);
        }
        finally
        {
            _decoding.Release();
        }
    }

    /// <summary>An avatar or icon: the centre square, at most <see cref="AvatarSize"/>, as PNG. Null when not an image.</summary>
    public async Task<byte[]?> AvatarAsync(byte[] image, CancellationToken cancellationToken)
    {
        await _decoding.WaitAsync(cancellationToken);
        try
        {
            using var data = SKData.CreateCopy(image);
            using var codec = SKCodec.Create(data);
            if (codec is null)
                return null;
            using var bitmap = DecodeCodec(codec, AvatarSize);
            if (bitmap is null)
                return null;
            var side = Math.Min(bitmap.Width, bitmap.Height);
            using var square = new SKBitmap(side, side, SKColorType.Rgba8888, SKAlphaType.Premul);
            using (var canvas = new SKCanvas(square))
                canvas.DrawBitmap(bitmap, new SKRect((bitmap.Width - side) / 2f, (bitmap.Height - side) / 2f, (bitmap.Width + side) / 2f, (bitmap.Height + side) / 2f), new SKRect(0, 0, side, side), Smooth);
            using var scaled = Fit(square, AvatarSize);
            return Encode(scaled, SKEncodedImageFormat.Png, 100);
        }
        finally
        {
            _decoding.Release();
        }
    }

    /// <summary>A stored avatar at another size or format (first frame of an animated one).</summary>
    public async Task<byte[]?> ConvertAsync(byte[] source, int size, SKEncodedImageFormat format, CancellationToken cancellationToken)
    {
        await _decoding.WaitAsync(cancellationToken);
        try
        {
            using var bitmap = Decode(source, size);
            if (bitmap is null)
                return null;
            using var scaled = Fit(bitmap, size);
            return Encode(scaled, format, format == SKEncodedImageFormat.Png ? 100 : 85);
        }
        finally
        {
            _decoding.Release();
        }
    }

    private SKBitmap? Decode(byte[] content, int box)
    {
        using var data = SKData.CreateCopy(content);
        using var codec = SKCodec.Create(data);
        return codec is null ? null : DecodeCodec(codec, box);
    }

    private SKBitmap? DecodeCodec(SKCodec codec, int box)
    {
        var info = codec.Info;
        // The smallest size the codec can produce that still covers the box (JPEG: 1/2, 1/4, 1/8).
        var scale = Math.Min(1f, (float)box / Math.Min(info.Width, info.Height));
        var size = codec.GetScaledDimensions(Math.Max(scale, 0.125f));
        if (size.Width < box && size.Height < box)
            size = new SKSizeI(info.Width, info.Height);
        if ((long)size.Width * size.Height > settings.MaxThumbnailSourcePixels)
            return null;
        var target = new SKImageInfo(size.Width, size.Height, SKColorType.Rgba8888, SKAlphaType.Premul);
        var bitmap = new SKBitmap(target);
        var result = codec.GetPixels(target, bitmap.GetPixels());
        if (result is not (SKCodecResult.Success or SKCodecResult.IncompleteInput))
        {
            bitmap.Dispose();
            return null;
        }
        return Orient(bitmap, codec.EncodedOrigin);
    }

    private static SKBitmap Fit(SKBitmap source, int box)
    {
        var ratio = Math.Min(1.0, (double)box / Math.Max(source.Width, source.Height));
        var width = Math.Max(1, (int)Math.Round(source.Width * ratio));
        var height = Math.Max(1, (int)Math.Round(source.Height * ratio));
        if (width == source.Width && height == source.Height)
            return source.Copy();
        return source.Resize(new SKSizeI(width, height), Smooth)
            ?? throw new InvalidOperationException("resize failed");
    }

    private static byte[] Encode(SKBitmap bitmap, SKEncodedImageFormat format, int quality)
    {
        using var image = SKImage.FromBitmap(bitmap);
        using var encoded = image.Encode(format, quality) ?? throw new InvalidOperationException($"{format} encoding failed");
        return encoded.ToArray();
    }

    private static bool SwapsSides(SKEncodedOrigin origin) =>
        origin is SKEncodedOrigin.LeftTop or SKEncodedOrigin.RightTop or SKEncodedOrigin.RightBottom or SKEncodedOrigin.LeftBottom;

    /// <summary>Applies EXIF orientation, so thumbnails stand the way the photo was taken.</summary>
    private static SKBitmap Orient(SKBitmap bitmap, SKEncodedOrigin origin)
    {
        if (origin == SKEncodedOrigin.TopLeft)
            return bitmap;
        var swap = SwapsSides(origin);
        var rotated = new SKBitmap(swap ? bitmap.Height : bitmap.Width, swap ? bitmap.Width : bitmap.Height, bitmap.ColorType, bitmap.AlphaType);
        using (var canvas = new SKCanvas(rotated))
        {
            var (w, h) = (bitmap.Width, bitmap.Height);
            switch (origin)
            {
                case SKEncodedOrigin.TopRight: canvas.Scale(-1, 1, w / 2f, 0); break;
                case SKEncodedOrigin.BottomRight: canvas.RotateDegrees(180, w / 2f, h / 2f); break;
                case SKEncodedOrigin.BottomLeft: canvas.Scale(1, -1, 0, h / 2f); break;
                case SKEncodedOrigin.LeftTop: canvas.Translate(h, 0); canvas.RotateDegrees(90); canvas.Scale(1, -1, 0, h / 2f); break;
                case SKEncodedOrigin.RightTop: canvas.Translate(h, 0); canvas.RotateDegrees(90); break;
                case SKEncodedOrigin.RightBottom: canvas.Translate(h, 0); canvas.RotateDegrees(90); canvas.Scale(-1, 1, w / 2f, 0); break;
                case SKEncodedOrigin.LeftBottom: canvas.Translate(0, w); canvas.RotateDegrees(270); break;
            }
            canvas.DrawBitmap(bitmap, 0, 0, SKSamplingOptions.Default);
        }
        bitmap.Dispose();
        return rotated;
    }
}
