using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Security.Cryptography;

namespace Together.Rtc.Srtp;

/// <summary>
/// AES-128 in counter mode as RFC 3711 §4.1.1 defines it. .NET has no AES-CTR, so a batch of
/// counter blocks is encrypted with one cached ECB transform and xored in. The buffers are
/// allocated once per instance; an instance is used by one thread at a time.
/// </summary>
internal sealed class AesCounterMode : IDisposable
{
    private const int BatchBlocks = 96; // 1536 bytes: one MTU-sized packet in one call
    private readonly Aes _aes;
    private readonly ICryptoTransform _ecb;
    private readonly byte[] _counters = new byte[BatchBlocks * 16];
    private readonly byte[] _keystream = new byte[BatchBlocks * 16];

    public AesCounterMode(ReadOnlySpan<byte> key)
    {
        _aes = Aes.Create();
        _aes.Key = key.ToArray();
        _aes.Mode = CipherMode.ECB;
        _aes.Padding = PaddingMode.None;
        _ecb = _aes.CreateEncryptor();
    }

    /// <summary>
    /// XORs the keystream starting at <paramref name="iv"/> into <paramref name="data"/>. The IV's
    /// low 16 bits are the block counter, which RFC 3711 leaves zero in every IV it builds.
    /// </summary>
    public void Apply(ReadOnlySpan<byte> iv, Span<byte> data)
    {
        int block = 0;
        while (!data.IsEmpty)
        {
            int chunk = Math.Min(data.Length, _keystream.Length);
            int blocks = (chunk + 15) / 16;
            for (int i = 0; i < blocks; i++)
            {
                var counter = _counters.AsSpan(i * 16, 16);
                iv.CopyTo(counter);
                ushort low = (ushort)(BinaryPrimitives.ReadUInt16BigEndian(counter[14..]) + block + i);
                BinaryPrimitives.WriteUInt16BigEndian(counter[14..], low);
            }

            _ecb.TransformBlock(_counters, 0, blocks * 16, _keystream, 0);
            Xor(data[..chunk], _keystream.AsSpan(0, chunk));
            data = data[chunk..];
            block += blocks;
        }
    }

    /// <summary>The raw keystream (for the RFC 3711 B.2 vector and key derivation).</summary>
    public void Keystream(ReadOnlySpan<byte> iv, Span<byte> output)
    {
        output.Clear();
        Apply(iv, output);
    }

    private static void Xor(Span<byte> data, ReadOnlySpan<byte> keystream)
    {
        int words = data.Length / 8;
        var d = MemoryMarshal.Cast<byte, ulong>(data[..(words * 8)]);
        var k = MemoryMarshal.Cast<byte, ulong>(keystream[..(words * 8)]);
        for (int i = 0; i < d.Length; i++)
        {
            d[i] ^= k[i];
        }

        for (int i = words * 8; i < data.Length; i++)
        {
            data[i] ^= keystream[i];
        }
    }

    public void Dispose()
    {
        _ecb.Dispose();
        _aes.Dispose();
    }
}
