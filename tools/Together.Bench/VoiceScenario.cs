using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using Together.Rtc.Client;
using Together.Rtc.Dtls;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;

namespace Together.Bench;

/// <summary>One measured run of the voice scenario.</summary>
internal sealed record VoiceStep(
    int Participants, double WarmupSeconds, double MeasuredSeconds, long PacketsSent, double SentPerSecond, int SendFailures,
    long ExpectedForwards, long Received, long Lost, string? WorstPair, long Duplicates, long Unmatched, long PayloadMismatches,
    double ForwardedPerSecond, Summary AddedLatencyMs, Summary FirstArrivalMs, Summary SpreadMs, Summary CalmLatencyMs, double CalmPercent, Summary SendLagMs, double ServerCpuMicrosecondsPerForward,
    ResourceWindow? Resources, bool Passed, string Verdict);

internal sealed record VoiceResult(
    int Participants, string SrtpProfile, double SetupSeconds, double JoinSeconds, int HeartbeatsSent, int HeartbeatAcks,
    IReadOnlyList<VoiceStep> Steps, IReadOnlyList<string> ConnectionsLost);

/// <summary>
/// Voice: N members of one guild join its voice channel over the gateway (op 4, VOICE_OFFER,
/// op 40) and connect to the server's UDP port with the voice library's client peer (ICE,
/// DTLS-SRTP), then each sends a 20 ms Opus packet every 20 ms, staggered across the 20 ms so
/// the room is not artificially synchronised. Every packet goes to the N − 1 others through the
/// SFU. Measured per (packet, receiver): the time from just before the sender's
/// <c>SendRtp</c> (SRTP protect + sendto) to the moment the receiver's receive thread has the
/// decrypted packet. On loopback the network adds ~nothing, so this is the server's added time,
/// with the client's own SRTP protect, unprotect and thread wake-up on top: an upper bound.
/// </summary>
internal sealed class VoiceScenario : IGatewayListener
{
    private const int FramesPerSecond = 50;

    // A second of real Opus (Concentus, as OpusRtpSender encodes it for the client peer) looped:
    // the SFU never decodes the payload, it only reads the header and the RFC 6464 level, so a
    // looped second costs the server exactly what live encoding would and keeps the encoder's
    // CPU (500 frames/s for ten) off the two shared cores during the measurement.
    private const int FrameLoop = FramesPerSecond;

    // Ids the server offers (SdpOfferBuilder): the bench answers with them, as browsers do.
    private const int AudioLevelId = SdpOfferBuilder.AudioLevelExtensionId;
    private const int MidId = SdpOfferBuilder.MidExtensionId;

    private Member[] _members = [];
    private Dictionary<long, int> _indexByUser = [];
    private volatile Run? _run;

    private sealed class Member(int index, Account account)
    {
        public readonly int Index = index;
        public readonly Account Account = account;
        public RtcClientPeer? Peer;
        public readonly TaskCompletionSource<SdpSessionDescription> FirstOffer = new(TaskCreationOptions.RunContinuationsAsynchronously);

        /// <summary>Forwarded stream SSRC (the SFU's, one per sender on this member's connection) → sender index; written from offers.</summary>
        public readonly ConcurrentDictionary<uint, int> SenderBySsrc = new();

        public uint Ssrc;

        /// <summary>Where the next run's packet 0 starts: a further run continues the stream, as a browser's would.</summary>
        public ushort NextSequence;
        public uint NextTimestamp;
        public byte[][] Frames = [];
        public int PayloadOffset;
    }

    /// <summary>
    /// One measurement. Packet k of a sender carries sequence FirstSequence + k and timestamp
    /// FirstTimestamp + 960·k. The SFU rewrites only the SSRC (and renames the MID extension), so a
    /// receiver finds the sender from the SSRC in its offer and k from the sequence number, and
    /// checks k against the timestamp and the payload against what was sent: nothing is added
    /// to the packets, which stay exactly what a browser sends.
    /// </summary>
    private sealed class Run(Member[] members, int count, int warmupCount)
    {
        public readonly int Members = members.Length;

        /// <summary>Per sender, the sequence number and timestamp of its packet 0 in this run.</summary>
        public readonly ushort[] FirstSequence = [.. members.Select(m => m.NextSequence)];
        public readonly uint[] FirstTimestamp = [.. members.Select(m => m.NextTimestamp)];

        public readonly int Count = count;
        public readonly int WarmupCount = warmupCount;
        public readonly long[][] SentAt = [.. members.Select(_ => new long[count])];

        /// <summary>[receiver][sender·count + k]: arrival (Stopwatch ticks), 0 until then; written only on the receiver's own receive thread.</summary>
        public readonly long[][] ArrivedAt = [.. members.Select(_ => new long[members.Length * count])];

        public readonly Latencies SendLag = new(count * members.Length);
        public readonly long[] Duplicates = new long[members.Length];
        public readonly long[] Unmatched = new long[members.Length];
        public readonly long[] PayloadMismatches = new long[members.Length];
        public int SendFailures;
        public long MeasureFromTicks;
        public double MeasureFrom;
        public long SendEndTicks;
    }

    public void MessageCreated(GatewayClient client, long nonce, long arrivedAt, long readAt)
    {
    }

    /// <summary>Every offer names each forwarded stream's SSRC with the cname "u{sender id}".</summary>
    public void VoiceOffer(GatewayClient client, ReadOnlySpan<byte> frame)
    {
        var member = _members[client.Index];
        using var json = JsonDocument.Parse(frame.ToArray());
        var d = json.RootElement.GetProperty("d");
        if (!SdpParser.TryParse(d.GetProperty("sdp").GetString()!, out var offer))
            return;
        foreach (var media in offer.Media)
            if (media.Ssrc is { } ssrc && media.Cname is ['u', .. var id] && long.TryParse(id, CultureInfo.InvariantCulture, out var userId)
                && _indexByUser.TryGetValue(userId, out var sender))
                member.SenderBySsrc[ssrc] = sender;
        // Revision 1 is the first offer of the join: the one to answer.
        if (d.GetProperty("revision").GetInt32() == 1)
            member.FirstOffer.TrySetResult(offer);
    }

    public async Task<VoiceResult> RunAsync(BenchOptions options, ServerHost host, ApiClient api, ProcessSampler sampler, CancellationToken cancellationToken)
    {
        var participants = Math.Max(2, options.Int("participants", 10));
        var warmup = options.Number("warmup", 5);
        var duration = options.Number("duration", 60);
        var drain = options.Number("drain", 2);
        var maxP99 = options.Number("max-p99", 1);
        var quietWait = options.Number("quiet-wait", 60);
        var maxOther = options.Number("max-other-cpu", 25);
        var retries = options.Int("retries", 2);
        const double MaxServerCpu = 10;
        if ((warmup + duration) * FramesPerSecond * (retries + 1) >= 30_000)
            throw new ArgumentException("--warmup + --duration, times the attempts, must stay under 600 s: packets are matched by their 16-bit sequence number");

        var clock = Stopwatch.StartNew();
        var community = await Setup.CommunityAsync(api, participants, options.Int("setup-parallelism", 8), host.Spawned && !options.Has("no-forwarded-for"), cancellationToken);
        var setupSeconds = clock.Elapsed.TotalSeconds;
        var channelId = await VoiceChannelAsync(api, community, cancellationToken);
        _members = [.. community.Members.Select((a, i) => new Member(i, a))];
        _indexByUser = community.Members.Select((a, i) => (a.UserId, i)).ToDictionary(x => x.UserId, x => x.i);

        var url = await api.GatewayUrlAsync(cancellationToken);
        // GUILDS | GUILD_VOICE_STATES: what a client in a voice channel listens to.
        var clients = await Gateway.ConnectAllAsync(url, community.Members, 1 | (1 << 7), this, TimeSpan.FromSeconds(60), cancellationToken);
        if (clients.FirstOrDefault(c => c.CompleteAt == 0) is { } failed)
            throw new InvalidOperationException($"gateway connection {failed.Index} did not get READY: {failed.Closed}");
        var steps = new List<VoiceStep>();
        await using var heartbeats = new HeartbeatScheduler(clients);
        using var limiter = new DtlsHandshakeLimiter(4);
        try
        {
            clock.Restart();
            // One after another, as a room fills: each join re-offers to everyone already in it.
            foreach (var member in _members)
                await JoinAsync(member, clients[member.Index], community.GuildId, channelId, limiter, cancellationToken);
            var until = Stopwatch.StartNew();
            while (_members.Any(m => m.SenderBySsrc.Values.Distinct().Count() < participants - 1))
            {
                if (until.Elapsed > TimeSpan.FromSeconds(20))
                    throw new InvalidOperationException("not every participant was offered the stream of every other");
                await Task.Delay(50, cancellationToken);
            }
            var joinSeconds = clock.Elapsed.TotalSeconds;
            Console.WriteLine($"voice: {participants} participants joined and connected ({_members[0].Peer!.Profile}) in {joinSeconds:F1} s");

            for (var attempt = 0; ; attempt++)
            {
                var step = await MeasureAsync(sampler, warmup, duration, drain, maxP99, MaxServerCpu, quietWait, maxOther, cancellationToken);
                Report.PrintVoiceStep(step);
                steps.Add(step);
                // A shared machine: a run during which other processes took more than
                // --max-other-cpu % of a core measured them, not the server; run it again.
                if (step.Resources is not { } r || r.OtherCpuPercent <= maxOther || attempt >= retries)
                    break;
                Console.WriteLine($"other processes used {r.OtherCpuPercent} % of a core during the run (> {maxOther} %): measuring it again ({attempt + 1}/{retries})");
            }
            return new VoiceResult(participants, _members[0].Peer!.Profile?.ToString() ?? "", Math.Round(setupSeconds, 1), Math.Round(joinSeconds, 2),
                heartbeats.Sent, heartbeats.Acked, steps, [.. clients.Where(c => c.Closed is not null).Select(c => $"#{c.Index}: {c.Closed}")]);
        }
        finally
        {
            _run = null;
            foreach (var member in _members)
                member.Peer?.Dispose();
            await Gateway.CloseAllAsync(clients);
        }
    }

    private static async Task<long> VoiceChannelAsync(ApiClient api, Community community, CancellationToken cancellationToken)
    {
        using var channels = await api.GetJsonAsync(community.Members[0], $"guilds/{community.GuildId}/channels", cancellationToken);
        foreach (var channel in channels.RootElement.EnumerateArray())
            if (channel.GetProperty("type").GetInt32() == 2)
                return ApiClient.Id(channel.GetProperty("id"));
        throw new InvalidOperationException("the new guild has no voice channel");
    }

    private async Task JoinAsync(Member member, GatewayClient gateway, long guildId, long channelId, DtlsHandshakeLimiter limiter, CancellationToken cancellationToken)
    {
        var peer = member.Peer = new RtcClientPeer(new IPEndPoint(IPAddress.Loopback, 0));
        peer.RtpReceived += packet => OnRtp(member.Index, packet);
        var ids = (Guild: guildId.ToString(CultureInfo.InvariantCulture), Channel: channelId.ToString(CultureInfo.InvariantCulture));
        await gateway.SendTextAsync(JsonSerializer.Serialize(new { op = 4, d = new { guild_id = ids.Guild, channel_id = ids.Channel, self_mute = false, self_deaf = false } }), cancellationToken);
        var offer = await member.FirstOffer.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        await gateway.SendTextAsync(JsonSerializer.Serialize(new { op = 40, d = new { guild_id = ids.Guild, sdp = peer.Answer(offer, withMid: true) } }), cancellationToken);
        var candidate = offer.Media[0].Candidates[0];
        await peer.ConnectAsync(new IPEndPoint(IPAddress.Parse(candidate.Address), candidate.Port),
            offer.EffectiveIceUfrag!, offer.EffectiveIcePwd!, offer.EffectiveFingerprint!, limiter, cancellationToken: cancellationToken);
        var uplinkMid = offer.Media.First(m => m.Direction == SdpDirection.RecvOnly).Mid!;
        member.Ssrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
        member.NextSequence = (ushort)Random.Shared.Next(ushort.MaxValue + 1);
        member.NextTimestamp = (uint)Random.Shared.NextInt64(uint.MaxValue);
        (member.Frames, member.PayloadOffset) = BuildFrames(member.Index, member.Ssrc, uplinkMid);
    }

    /// <summary>
    /// A second of a tone (a different pitch per participant) as Chromium would packetise it:
    /// Opus from <see cref="OpusRtpSender"/>, with the one-byte header extensions a browser
    /// puts on every packet, the RFC 6464 level and the MID (which the SFU must rename when it
    /// forwards). Sequence number and timestamp are written at send time.
    /// </summary>
    private static (byte[][] Frames, int PayloadOffset) BuildFrames(int index, uint ssrc, string mid)
    {
        var opus = new OpusRtpSender(ssrc, SdpOfferBuilder.OpusPayloadType, AudioLevelId);
        var pcm = new short[OpusRtpSender.FrameSamples * OpusRtpSender.Channels];
        var encoded = new byte[1500];
        var packet = new byte[1500];
        var frequency = 220.0 + 37 * index;
        var frames = new byte[FrameLoop][];
        var payloadOffset = 0;
        for (var f = 0; f < FrameLoop; f++)
        {
            for (var i = 0; i < pcm.Length; i += 2)
                pcm[i] = pcm[i + 1] = (short)(6000 * Math.Sin(2 * Math.PI * frequency * (f * OpusRtpSender.FrameSamples + i / 2) / OpusRtpSender.SampleRate));
            var length = opus.Write(pcm, encoded);
            if (!RtpPacket.TryParse(encoded.AsSpan(0, length), out var rtp))
                throw new InvalidOperationException("OpusRtpSender wrote an invalid packet");
            var header = RtpPacket.WriteHeader(packet, SdpOfferBuilder.OpusPayloadType, false, 0, 0, ssrc);
            packet[0] |= 0x10; // header extension follows
            header += RtpExtensionWriter.Write(packet.AsSpan(header), [(AudioLevelId, [AudioLevel.Encode(OpusRtpSender.LevelOf(pcm), true)]), (MidId, Encoding.ASCII.GetBytes(mid))]);
            rtp.Payload.CopyTo(packet.AsSpan(header));
            frames[f] = packet[..(header + rtp.PayloadLength)];
            payloadOffset = header;
        }
        return (frames, payloadOffset);
    }

    /// <summary>On the receiver's own receive thread, right after its SRTP unprotect.</summary>
    private void OnRtp(int receiver, ReadOnlySpan<byte> packet)
    {
        var now = Stopwatch.GetTimestamp();
        var run = _run;
        if (run is null || !RtpPacket.TryParse(packet, out var rtp))
            return;
        if (!_members[receiver].SenderBySsrc.TryGetValue(rtp.Ssrc, out var s))
        {
            run.Unmatched[receiver]++;
            return;
        }
        var sender = _members[s];
        var k = (ushort)(rtp.SequenceNumber - run.FirstSequence[s]);
        if (k >= run.Count || s == receiver || rtp.Timestamp - run.FirstTimestamp[s] != (uint)(k * OpusRtpSender.FrameSamples))
        {
            run.Unmatched[receiver]++;
            return;
        }
        ref var arrived = ref run.ArrivedAt[receiver][s * run.Count + k];
        if (arrived != 0)
        {
            run.Duplicates[receiver]++;
            return;
        }
        arrived = now;
        if (!rtp.Payload.SequenceEqual(sender.Frames[k % FrameLoop].AsSpan(sender.PayloadOffset)))
            run.PayloadMismatches[receiver]++;
    }

    private async Task<VoiceStep> MeasureAsync(ProcessSampler sampler, double warmup, double duration, double drain, double maxP99, double maxServerCpu,
        double quietWait, double maxOther, CancellationToken cancellationToken)
    {
        var n = _members.Length;
        var warmupCount = (int)Math.Round(warmup * FramesPerSecond);
        var count = warmupCount + (int)Math.Round(duration * FramesPerSecond);
        var run = new Run(_members, count, warmupCount);
        await sampler.WaitForQuietAsync(TimeSpan.FromSeconds(quietWait), cancellationToken);
        Console.WriteLine($"voice: {n} participants each sending 50 packets/s: {warmup:F0} s warm-up + {duration:F0} s measured ...");
        _run = run;
        var sending = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var thread = new Thread(() =>
        {
            try
            {
                Pace(run, sampler, cancellationToken);
                sending.TrySetResult();
            }
#pragma warning disable CA1031 // whatever ends the sending thread is rethrown by the awaiting task
            catch (Exception ex)
#pragma warning restore CA1031
            {
                sending.TrySetException(ex);
            }
        })
        { IsBackground = true, Name = "voice-bench-sender", Priority = ThreadPriority.AboveNormal };
        thread.Start();
        await sending.Task;
        var measureTo = sampler.Now;
        var resources = sampler.Window(run.MeasureFrom, measureTo);

        // Drain: until every receiver has every packet, or the drain time passes.
        var drainUntil = Stopwatch.GetTimestamp() + (long)(drain * Stopwatch.Frequency);
        while (Stopwatch.GetTimestamp() < drainUntil && Received(run, run.WarmupCount) < (long)(count - warmupCount) * n * (n - 1))
            await Task.Delay(20, cancellationToken);
        _run = null;
        await Task.Delay(50, cancellationToken); // a receive thread may still be inside OnRtp
        var quiet = sampler.Intervals(run.MeasureFrom, measureTo + 1);

        var measured = count - warmupCount;
        var seconds = (run.SendEndTicks - run.MeasureFromTicks) / (double)Stopwatch.Frequency;
        var expected = (long)measured * n * (n - 1);
        var received = Received(run, warmupCount);
        var lost = expected - received;
        string? worst = null;
        if (lost > 0)
        {
            var pairs = from r in Enumerable.Range(0, n)
                        from s in Enumerable.Range(0, n)
                        where r != s
                        let got = measured - run.ArrivedAt[r].AsSpan(s * count + warmupCount, measured).Count(0L)
                        orderby got
                        select $"{_members[s].Account.Name} → {_members[r].Account.Name}: {measured - got} of {measured} lost";
            worst = pairs.First();
        }

        // One sample per (packet, receiver). A stalled server thread delays every receiver of a
        // packet alike (the first arrival is late); a stalled receiving client delays only itself
        // (the spread grows instead). Packets sent in a 250 ms sampler window during which other
        // processes used under --max-other-cpu % of a core are also summarised on their own: on a
        // shared machine that is the closest to what the server does when it has its CPU.
        var all = new Latencies((int)expected);
        var calm = new Latencies((int)expected);
        var first = new Latencies(n * measured);
        var spread = new Latencies(n * measured);
        long calmPackets = 0;
        var window = 0;
        for (var k = warmupCount; k < count; k++)
            for (var s = 0; s < n; s++)
            {
                var sentAt = run.SentAt[s][k];
                var at = run.MeasureFrom + (sentAt - run.MeasureFromTicks) / (double)Stopwatch.Frequency;
                while (window < quiet.Count - 1 && quiet[window].To < at)
                    window++;
                var isCalm = quiet.Count > 0 && quiet[window].From <= at && at <= quiet[window].To && quiet[window].OtherCpuPercent < maxOther;
                long firstAt = long.MaxValue, lastAt = 0;
                for (var r = 0; r < n; r++)
                {
                    var arrivedAt = run.ArrivedAt[r][s * count + k];
                    if (r == s || arrivedAt == 0)
                        continue;
                    all.Add(arrivedAt - sentAt);
                    if (isCalm)
                        calm.Add(arrivedAt - sentAt);
                    firstAt = Math.Min(firstAt, arrivedAt);
                    lastAt = Math.Max(lastAt, arrivedAt);
                }
                if (isCalm)
                    calmPackets++;
                if (lastAt == 0)
                    continue;
                first.Add(firstAt - sentAt);
                spread.Add(lastAt - firstAt);
            }
        var latency = all.Summarize();
        // Server CPU seconds per second over forwarded packets per second.
        var cpuPerForward = resources is null || received == 0 ? 0 : Math.Round(resources.ServerCpuPercent / 100 / (received / seconds) * 1e6, 1);
        var verdict = lost > 0 ? $"{lost} packets lost"
            : run.SendFailures > 0 ? $"{run.SendFailures} packets could not be sent"
            : latency.P99 > maxP99 ? $"p99 {latency.P99} ms > {maxP99} ms"
            : resources is not null && resources.ServerCpuPercent > maxServerCpu ? $"server CPU {resources.ServerCpuPercent} % > {maxServerCpu} %"
            : "ok";
        return new VoiceStep(n, warmup, Math.Round(seconds, 2), (long)measured * n, Math.Round(measured * n / Math.Max(0.001, seconds), 1), run.SendFailures,
            expected, received, lost, worst, run.Duplicates.Sum(), run.Unmatched.Sum(), run.PayloadMismatches.Sum(),
            Math.Round(received / Math.Max(0.001, seconds)), latency, first.Summarize(), spread.Summarize(), calm.Summarize(),
            Math.Round(100.0 * calmPackets / Math.Max(1, (long)measured * n), 1), run.SendLag.Summarize(), cpuPerForward, resources, verdict == "ok", verdict);
    }

    private static long Received(Run run, int from)
    {
        long total = 0;
        for (var r = 0; r < run.Members; r++)
            for (var s = 0; s < run.Members; s++)
                if (r != s)
                    total += run.Count - from - run.ArrivedAt[r].AsSpan(s * run.Count + from, run.Count - from).Count(0L);
        return total;
    }

    /// <summary>
    /// The sending thread: participant i's packet k is due at start + 20 ms·k + 20 ms·i/N. Sleeps
    /// in 1 ms steps (no spinning on a shared 2-core machine), so a packet leaves up to ~1 ms
    /// after it is due; that lag is reported, and the latency clock starts at the real send.
    /// </summary>
    private void Pace(Run run, ProcessSampler sampler, CancellationToken cancellationToken)
    {
        var n = _members.Length;
        var period = Stopwatch.Frequency / FramesPerSecond;
        var buffer = new byte[1500];
        var start = Stopwatch.GetTimestamp() + Stopwatch.Frequency / 20;
        for (var k = 0; k < run.Count; k++)
        {
            cancellationToken.ThrowIfCancellationRequested();
            for (var i = 0; i < n; i++)
            {
                var due = start + k * period + i * period / n;
                while (Stopwatch.GetTimestamp() < due)
                    Thread.Sleep(1);
                if (k == run.WarmupCount && i == 0)
                {
                    run.MeasureFromTicks = Stopwatch.GetTimestamp();
                    run.MeasureFrom = sampler.Now;
                }
                var member = _members[i];
                var frame = member.Frames[k % FrameLoop];
                frame.CopyTo(buffer, 0);
                RtpPacket.SetSequenceNumber(buffer, (ushort)(run.FirstSequence[i] + k));
                RtpPacket.SetTimestamp(buffer, run.FirstTimestamp[i] + (uint)(k * OpusRtpSender.FrameSamples));
                var now = Stopwatch.GetTimestamp();
                Volatile.Write(ref run.SentAt[i][k], now);
                if (!member.Peer!.SendRtp(buffer.AsSpan(0, frame.Length)))
                    run.SendFailures++;
                run.SendLag.Add(now - due);
            }
        }
        run.SendEndTicks = Stopwatch.GetTimestamp();
        for (var i = 0; i < n; i++)
        {
            _members[i].NextSequence = (ushort)(run.FirstSequence[i] + run.Count);
            _members[i].NextTimestamp = run.FirstTimestamp[i] + (uint)(run.Count * OpusRtpSender.FrameSamples);
        }
    }
}
