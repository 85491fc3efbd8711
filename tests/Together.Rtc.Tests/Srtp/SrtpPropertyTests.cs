using System.Buffers.Binary;
using Together.Rtc.Srtp;
using Xunit;

namespace Together.Rtc.Tests.Srtp;

/// <summary>ROC rollover, replay, tampering and allocation on both profiles.</summary>
public class SrtpPropertyTests
{
    public static TheoryData<SrtpProfile> Profiles => new(SrtpProfile.AesCm128HmacSha1Tag80, SrtpProfile.AeadAes128Gcm);

    private static (SrtpSession Sender, SrtpSession Receiver) Pair(SrtpProfile profile)
    {
        var key = new byte[16];
        var salt = new byte[SrtpProfileInfo.MasterSaltLength(profile)];
        for (int i = 0; i < key.Length; i++)
        {
            key[i] = (byte)(i * 7);
        }

        for (int i = 0; i < salt.Length; i++)
        {
            salt[i] = (byte)(0xA0 + i);
        }

        return (new SrtpSession(profile, key, salt), new SrtpSession(profile, key, salt));
    }

    private static int Rtp(Span<byte> buffer, ushort seq, uint ssrc = 0x11223344, int payload = 160)
    {
        buffer[0] = 0x80;
        buffer[1] = 111;
        BinaryPrimitives.WriteUInt16BigEndian(buffer[2..], seq);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[4..], (uint)seq * 960);
        BinaryPrimitives.WriteUInt32BigEndian(buffer[8..], ssrc);
        for (int i = 0; i < payload; i++)
        {
            buffer[12 + i] = (byte)(seq + i);
        }

        return 12 + payload;
    }

    private static byte[] Protect(SrtpSession sender, ushort seq, uint ssrc = 0x11223344)
    {
        var buffer = new byte[1500];
        int length = Rtp(buffer, seq, ssrc);
        Assert.True(sender.TryProtectRtp(buffer, length, out int protectedLength));
        return buffer[..protectedLength];
    }

    private static bool Unprotect(SrtpSession receiver, byte[] packet, out byte[] plain)
    {
        var buffer = packet.ToArray();
        bool ok = receiver.TryUnprotectRtp(buffer, buffer.Length, out int length);
        plain = buffer[..length];
        return ok;
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Roc_rolls_over_at_65535_on_both_sides_including_reordering(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using var s = sender;
        using var r = receiver;
        var packets = new List<(ushort Seq, byte[] Packet)>();
        for (int i = 0; i < 20; i++)
        {
            ushort seq = (ushort)(65525 + i);
            packets.Add((seq, Protect(sender, seq)));
        }

        Assert.Equal(1u, sender.RolloverCounter(0x11223344));

        // Deliver with packets swapped across the wrap: ..., 65534, 0, 65535, 1, ...
        int wrap = packets.FindIndex(p => p.Seq == 0);
        (packets[wrap - 1], packets[wrap]) = (packets[wrap], packets[wrap - 1]);
        foreach (var (seq, packet) in packets)
        {
            Assert.True(Unprotect(receiver, packet, out var plain), $"seq {seq}");
            var expected = new byte[1500];
            int length = Rtp(expected, seq);
            Assert.Equal(expected[..length], plain);
        }

        Assert.Equal(1u, receiver.RolloverCounter(0x11223344));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Replayed_and_too_old_packets_are_rejected(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using var s = sender;
        using var r = receiver;
        var first = Protect(sender, 1000);
        Assert.True(Unprotect(receiver, first, out _));
        Assert.False(Unprotect(receiver, first, out _));

        var skipped = Protect(sender, 1001);
        for (ushort seq = 1002; seq < 1100; seq++)
        {
            Assert.True(Unprotect(receiver, Protect(sender, seq), out _));
        }

        // 1001 arrived 98 packets late: outside the 64-packet window.
        Assert.False(Unprotect(receiver, skipped, out _));

        // Inside the window, late is fine once, then a replay.
        var late = Protect(sender, 1100);
        Assert.True(Unprotect(receiver, Protect(sender, 1101), out _));
        Assert.True(Unprotect(receiver, late, out _));
        Assert.False(Unprotect(receiver, late, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Every_tampered_byte_is_rejected_and_leaves_state_untouched(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using var s = sender;
        using var r = receiver;
        Assert.True(Unprotect(receiver, Protect(sender, 40000), out _));
        var packet = Protect(sender, 40001);
        for (int i = 0; i < packet.Length; i++)
        {
            var forged = packet.ToArray();
            forged[i] ^= 0x5A;
            Assert.False(Unprotect(receiver, forged, out _), $"byte {i}");
        }

        // A forged packet whose sequence number implies a rollover must not move the ROC.
        var bump = Protect(sender, 40002);
        bump[2] = 0x00;
        bump[3] = 0x05; // seq 5 after 40001 would estimate ROC 1
        Assert.False(Unprotect(receiver, bump, out _));
        Assert.Equal(0u, receiver.RolloverCounter(0x11223344));
        Assert.True(Unprotect(receiver, packet, out _));
        Assert.False(Unprotect(receiver, packet[..^1], out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Srtcp_round_trips_with_e_flag_and_rejects_replay_and_tampering(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using var s = sender;
        using var r = receiver;
        byte[] rtcp = Convert.FromHexString("81c900070000000111223344010000020000abcd00000000000000000000000000000000");
        var packets = new List<byte[]>();
        for (int i = 0; i < 3; i++)
        {
            var buffer = new byte[200];
            rtcp.CopyTo(buffer, 0);
            Assert.True(sender.TryProtectRtcp(buffer, rtcp.Length, out int length));
            Assert.Equal(rtcp.Length + SrtpProfileInfo.RtcpOverhead(profile), length);
            Assert.NotEqual(rtcp[8..], buffer[8..rtcp.Length]); // encrypted
            int word = profile == SrtpProfile.AeadAes128Gcm ? length - 4 : rtcp.Length;
            Assert.Equal(0x80000000u | (uint)(i + 1), BinaryPrimitives.ReadUInt32BigEndian(buffer.AsSpan(word)));
            packets.Add(buffer[..length]);
        }

        foreach (var p in packets)
        {
            var copy = p.ToArray();
            Assert.True(receiver.TryUnprotectRtcp(copy, copy.Length, out int plain));
            Assert.Equal(rtcp, copy[..plain]);
            copy = p.ToArray();
            Assert.False(receiver.TryUnprotectRtcp(copy, copy.Length, out _));
        }

        var tampered = packets[0].ToArray();
        tampered[^1] ^= 1; // the index (GCM) or the tag (CM)
        Assert.False(receiver.TryUnprotectRtcp(tampered, tampered.Length, out _));
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Malformed_input_returns_false(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using var s = sender;
        using var r = receiver;
        var random = new Random(3);
        var buffer = new byte[300];
        for (int i = 0; i < 5000; i++)
        {
            int length = random.Next(buffer.Length);
            random.NextBytes(buffer.AsSpan(0, length));
            Assert.False(receiver.TryUnprotectRtp(buffer, length, out _));
            Assert.False(receiver.TryUnprotectRtcp(buffer, length, out _));
        }

        Assert.False(sender.TryProtectRtp(new byte[11], 11, out _));
        Assert.False(sender.TryProtectRtp(new byte[100], -1, out _));
        Assert.False(sender.TryProtectRtp(new byte[100], 101, out _));
        Assert.False(receiver.TryUnprotectRtp(new byte[100], -1, out _));
        Assert.False(sender.TryProtectRtcp(new byte[100], -1, out _));
        Assert.False(receiver.TryUnprotectRtcp(new byte[100], -1, out _));
        Assert.False(sender.TryProtectRtp(new byte[20], 20, out _)); // no room for the tag
    }

    [Theory]
    [MemberData(nameof(Profiles))]
    public void Per_packet_path_does_not_allocate(SrtpProfile profile)
    {
        var (sender, receiver) = Pair(profile);
        using var s = sender;
        using var r = receiver;
        var buffer = new byte[1500];
        var rtcp = new byte[200];
        byte[] rtcpPlain = Convert.FromHexString("81c900070000000111223344010000020000abcd00000000000000000000000000000000");

        void Round(ushort seq)
        {
            int length = Rtp(buffer, seq);
            Assert.True(sender.TryProtectRtp(buffer, length, out int protectedLength));
            Assert.True(receiver.TryUnprotectRtp(buffer, protectedLength, out _));
            rtcpPlain.CopyTo(rtcp, 0);
            Assert.True(sender.TryProtectRtcp(rtcp, rtcpPlain.Length, out int rtcpLength));
            Assert.True(receiver.TryUnprotectRtcp(rtcp, rtcpLength, out _));
        }

        // Steady state must allocate nothing. The first windows may see a one-off allocation that
        // is not ours: the JIT's tiered-PGO instrumentation allocates ~480 bytes on the calling
        // thread once while it profiles (gone with DOTNET_TieredPGO=0). So measure windows of
        // 20 000 rounds until two in a row are clean; a real per-packet allocation dirties every one.
        int seq = 0;
        for (; seq < 2000; seq++)
        {
            Round((ushort)seq); // SSRC state, JIT
        }

        var windows = new List<long>();
        int cleanInARow = 0;
        while (cleanInARow < 2 && windows.Count < 12)
        {
            long before = GC.GetAllocatedBytesForCurrentThread();
            for (int i = 0; i < 20000; i++)
            {
                Round((ushort)seq++);
            }

            long allocated = GC.GetAllocatedBytesForCurrentThread() - before;
            windows.Add(allocated);
            cleanInARow = allocated == 0 ? cleanInARow + 1 : 0;
        }

        Assert.True(cleanInARow == 2, "bytes allocated per 20 000 rounds: " + string.Join(", ", windows));
    }
}
