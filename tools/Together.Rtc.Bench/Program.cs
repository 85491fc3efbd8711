using System.Diagnostics;
using System.Globalization;
using Together.Rtc.Rtp;
using Together.Rtc.Srtp;

// What the SFU does per forwarded audio packet, on one thread: unprotect the sender's SRTP,
// rewrite SSRC/sequence/timestamp for the receiver's stream, protect with the receiver's keys.
// The upstream packets are protected beforehand, so only the server's work is timed.
const int Packets = 200_000;
const int Rounds = 5;
const int PayloadBytes = 80; // ~32 kbit/s Opus, 20 ms

foreach (var profile in new[] { SrtpProfile.AeadAes128Gcm, SrtpProfile.AesCm128HmacSha1Tag80 })
{
    var salt = new byte[SrtpProfileInfo.MasterSaltLength(profile)];
    var upKey = Enumerable.Range(1, 16).Select(i => (byte)i).ToArray();
    var downKey = Enumerable.Range(101, 16).Select(i => (byte)i).ToArray();
    using var browser = new SrtpSession(profile, upKey, salt);
    using var fromBrowser = new SrtpSession(profile, upKey, salt);
    using var toListener = new SrtpSession(profile, downKey, salt);

    int stride = 12 + 8 + PayloadBytes + SrtpProfileInfo.RtpOverhead(profile);
    var upstream = new byte[Packets * stride];
    var lengths = new int[Packets];
    var work = new byte[1500];
    double best = 0;
    for (int round = 0; round < Rounds; round++)
    {
        for (int i = 0; i < Packets; i++)
        {
            var p = upstream.AsSpan(i * stride, stride);
            int header = RtpPacket.WriteHeader(p, 111, false, (ushort)((round * Packets) + i), (uint)i * 960, 0xB0B);
            p[0] |= 0x10;
            int ext = RtpExtensionWriter.Write(p[header..], [(1, [AudioLevel.Encode(30, true)])]);
            p.Slice(header + ext, PayloadBytes).Fill((byte)i);
            browser.TryProtectRtp(p, header + ext + PayloadBytes, out lengths[i]);
        }

        var clock = new Stopwatch();
        long allocated = GC.GetAllocatedBytesForCurrentThread();
        clock.Start();
        int forwarded = 0;
        for (int i = 0; i < Packets; i++)
        {
            var packet = upstream.AsSpan(i * stride, lengths[i]);
            packet.CopyTo(work);
            if (!fromBrowser.TryUnprotectRtp(work, lengths[i], out int plain))
            {
                continue;
            }

            RtpPacket.SetSsrc(work, 0x5EB0);
            RtpPacket.SetSequenceNumber(work, (ushort)(forwarded + 7));
            RtpPacket.SetTimestamp(work, (uint)forwarded * 960);
            if (toListener.TryProtectRtp(work, plain, out _))
            {
                forwarded++;
            }
        }

        clock.Stop();
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        double rate = forwarded / clock.Elapsed.TotalSeconds;
        best = Math.Max(best, rate);
        Console.WriteLine(string.Create(
            CultureInfo.InvariantCulture,
            $"{profile,-22} round {round}: {forwarded} packets in {clock.Elapsed.TotalMilliseconds:F0} ms = {rate:F0} packets/s, {allocated} bytes allocated"));
    }

    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{profile,-22} best: {best:F0} packets/s on one core"));
}
