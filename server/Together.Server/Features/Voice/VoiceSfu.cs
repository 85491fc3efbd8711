using System.Net;
using System.Text.Json.Serialization;
using Together.Data.Snowflakes;
using Together.Rtc.Rtp;
using Together.Rtc.Sdp;
using Together.Rtc.Transport;
using Together.Server.Features.Gateway;

namespace Together.Server.Features.Voice;

/// <summary>The <c>Voice</c> configuration section.</summary>
public sealed class VoiceSettings
{
    /// <summary>Address the one voice UDP socket binds to; 0.0.0.0 to take traffic from other machines.</summary>
    public string BindAddress { get; set; } = "127.0.0.1";

    /// <summary>The UDP port for every voice peer (open it in the firewall); 0 picks a free one.</summary>
    public int Port { get; set; } = 50000;

    /// <summary>The address clients are told to send media to (the server's public IP behind NAT).</summary>
    public string? PublicAddress { get; set; }

    /// <summary>STUN/TURN servers handed to clients (e.g. coturn for users behind strict NAT).</summary>
    public List<IceServerObject> IceServers { get; set; } = [];
}

public sealed record IceServerObject
{
    public List<string> Urls { get; init; } = [];

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Username { get; init; }

    [JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)]
    public string? Credential { get; init; }
}

/// <summary>Sent to one client: the server's SDP offer for its voice connection (a new one after every join or leave in the room).</summary>
public sealed record VoiceOfferPayload(Snowflake GuildId, Snowflake ChannelId, string Sdp, int Revision, IReadOnlyList<IceServerObject> IceServers);

public sealed record VoiceSpeakingPayload(Snowflake GuildId, Snowflake ChannelId, Snowflake UserId, bool Speaking);

/// <summary>What a participant may do, from their voice state and permissions.</summary>
public readonly record struct VoiceFlags(bool Muted, bool Deafened);

/// <summary>
/// The selective forwarding unit: one RtcTransport (one UDP port) for every voice connection,
/// rooms per voice channel, and each participant's Opus forwarded to every other participant in
/// the room who is not deafened. Packets go socket → SRTP unprotect → SSRC rewrite → SRTP
/// protect → socket on the transport's receive thread, touching neither the database nor the
/// event bus.
/// </summary>
public sealed class VoiceSfu : IDisposable
{
    // Forwarded packets keep the sender's MID header extension element, but renamed to an id
    // nobody negotiated, so receivers ignore it and demultiplex by our SSRC instead.
    private const int UnusedExtensionId = 14;
    private const byte SpeakingLevel = 50; // RFC 6464: -dBov; 0 is loudest, 127 silence
    private const int SpeakingHoldPackets = 25; // 500 ms of 20 ms packets
    private const int OpusClockRate = 48000;

    // RFC 3550 §6.2 would allow ~5 s for a two-party session; browsers report about every second,
    // and their bandwidth estimation and RTT (remote-inbound-rtp) use ours the same way.
    private static readonly TimeSpan ReceiverReportInterval = TimeSpan.FromSeconds(1);

    private readonly object _gate = new();
    private readonly Dictionary<long, Room> _rooms = [];
    private readonly Dictionary<(long Guild, long User), Participant> _participants = [];
    private readonly VoiceSettings _settings;
    private readonly IEventBus _events;
    private readonly ILogger<VoiceSfu> _logger;
    private readonly TimeProvider _time;
    private readonly Lazy<RtcTransport> _transport;

    public VoiceSfu(VoiceSettings settings, IEventBus events, ILogger<VoiceSfu> logger, TimeProvider time)
    {
        _settings = settings;
        _events = events;
        _logger = logger;
        _time = time;
        _transport = new Lazy<RtcTransport>(StartTransport);
    }

    private RtcTransport Transport => _transport.Value;

    public IPEndPoint Candidate
    {
        get
        {
            var local = Transport.LocalEndPoint;
            return string.IsNullOrWhiteSpace(_settings.PublicAddress) ? local : new IPEndPoint(IPAddress.Parse(_settings.PublicAddress), local.Port);
        }
    }

    private RtcTransport StartTransport()
    {
        var transport = RtcTransport.Start(new RtcTransportOptions { LocalEndPoint = new IPEndPoint(IPAddress.Parse(_settings.BindAddress), _settings.Port) });
        transport.HandlerFailed += (peer, ex) => _logger.LogError(ex, "Voice packet handler failed");
        _logger.LogInformation("Voice listening on udp {Endpoint}", transport.LocalEndPoint);
        return transport;
    }

    /// <summary>Puts the user's session in the channel's room (leaving any other room of the guild) and sends offers.</summary>
    public void Join(GatewaySession session, long guildId, long channelId, VoiceFlags flags, int bitrate)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            if (_participants.TryGetValue((guildId, session.UserId), out var current))
            {
                if (current.Room.ChannelId == channelId && current.Session == session)
                {
                    current.Flags = flags;
                    return;
                }
                LeaveLocked(current);
            }
            if (!_rooms.TryGetValue(channelId, out var room))
                _rooms[channelId] = room = new Room(guildId, channelId);
            room.Bitrate = bitrate;
            var peer = Transport.CreatePeer();
            var participant = new Participant(session, room, peer, new SdpOfferBuilder(peer.Local, Transport.Certificate.Fingerprint, Candidate)) { Flags = flags };
            participant.UplinkMid = participant.Offers.AddAudio(SdpDirection.RecvOnly);
            foreach (var other in room.Members)
            {
                participant.AddSlot(other.UserId);
                other.AddSlot(session.UserId);
            }
            room.Members = [.. room.Members, participant];
            _participants[(guildId, session.UserId)] = participant;
            peer.RtpReceived += (_, packet) => Forward(participant, packet);
            peer.RtcpReceived += (_, packet) => OnRtcp(participant, packet);
            peer.Closed += (_, reason) => _logger.LogDebug("Voice peer of {User} closed: {Reason}", session.UserId, reason);
            foreach (var member in room.Members)
                SendOffer(member);
        }
    }

    public void UpdateFlags(long guildId, long userId, VoiceFlags flags)
    {
        lock (_gate)
            if (_participants.TryGetValue((guildId, userId), out var participant))
                participant.Flags = flags;
    }

    public void Leave(long guildId, long userId)
    {
        lock (_gate)
            if (_participants.TryGetValue((guildId, userId), out var participant))
                LeaveLocked(participant);
    }

    /// <summary>The client's answer to an offer: the first one gives its ICE ufrag and DTLS fingerprint.</summary>
    public bool Answer(GatewaySession session, long guildId, string sdp)
    {
        ArgumentNullException.ThrowIfNull(session);
        if (!SdpParser.TryParse(sdp, out var answer))
            return false;
        if (RtcPeer.CheckAnswer(answer) is { } problem)
        {
            // A passive answer (or one without ICE/DTLS credentials) would hang until consent
            // expires: refuse it where it can be seen.
            _logger.LogWarning("Voice answer of {User} refused: {Problem}", session.UserId, problem);
            return false;
        }
        lock (_gate)
        {
            if (!_participants.TryGetValue((guildId, session.UserId), out var participant) || participant.Session != session)
                return false;
            if (participant.Peer.RemoteUfrag is null)
                participant.Peer.SetRemote(answer);
            // Which offer this answers decides which retired m-lines may be recycled (JSEP §5.2.2):
            // a slot is reused only after the browser has accepted the offer that removed it.
            if (participant.Offers.ApplyAnswer(answer) is null)
                _logger.LogDebug("Voice answer of {User} matches no pending offer", session.UserId);
            return true;
        }
    }

    public int ParticipantCount(long channelId)
    {
        lock (_gate)
            return _rooms.TryGetValue(channelId, out var room) ? room.Members.Length : 0;
    }

    private void LeaveLocked(Participant participant)
    {
        var room = participant.Room;
        room.Members = [.. room.Members.Where(m => m != participant)];
        _participants.Remove((room.GuildId, participant.UserId));
        participant.Peer.Close("left the channel");
        foreach (var other in room.Members)
        {
            other.RemoveSlot(participant.UserId);
            SendOffer(other);
        }
        if (room.Members.Length == 0)
            _rooms.Remove(room.ChannelId);
        if (participant.Speaking)
            PublishSpeaking(participant, false);
    }

    private void SendOffer(Participant participant)
    {
        participant.Revision++;
        var description = participant.Offers.BuildOffer();
        // The channel's bit rate caps what browsers encode (RFC 7587 maxaveragebitrate). The
        // sections are the builder's own and live across offers: start from the plain Opus
        // parameters each time rather than appending to the previous offer's.
        var opusParameters = SdpCodec.Opus(SdpOfferBuilder.OpusPayloadType).Parameters;
        foreach (var media in description.Media)
            for (var i = 0; i < media.Codecs.Count; i++)
                if (media.Codecs[i].Name == "opus")
                    media.Codecs[i] = media.Codecs[i] with { Parameters = $"{opusParameters};maxaveragebitrate={participant.Room.Bitrate}" };
        var offer = description.ToString();
        participant.Session.Dispatch("VOICE_OFFER", Events.Serialize(new VoiceOfferPayload(
            participant.Room.GuildId, participant.Room.ChannelId, offer, participant.Revision, _settings.IceServers)));
    }

    /// <summary>Runs on the transport's receive thread, once per packet from a participant.</summary>
    private void Forward(Participant sender, ReadOnlySpan<byte> packet)
    {
        if (!RtpPacket.TryParse(packet, out var rtp))
            return;
        ReportReception(sender, rtp);
        UpdateSpeaking(sender, rtp);
        if (sender.Flags.Muted || sender.Flags.Deafened)
            return;
        var midExtensionOffset = FindExtension(rtp, SdpOfferBuilder.MidExtensionId);
        foreach (var receiver in sender.Room.Members)
        {
            if (receiver == sender || receiver.Flags.Deafened || !receiver.Slots.TryGetValue(sender.UserId, out var slot))
                continue;
            var buffer = receiver.ForwardBuffer;
            packet.CopyTo(buffer);
            var copy = buffer.AsSpan(0, packet.Length);
            RtpPacket.SetSsrc(copy, slot.Ssrc);
            if (midExtensionOffset >= 0)
                RenameExtension(copy, midExtensionOffset, rtp.ExtensionProfile);
            receiver.Peer.SendRtp(copy);
        }
    }

    /// <summary>
    /// RFC 3550 §6.4.2: we terminate RTCP, so we are the browser's receiver and report what
    /// arrives from it (loss, jitter, LSR/DLSR for its round-trip time) in our own receiver
    /// reports. Receive thread only, like the statistics it updates; no allocation per packet.
    /// </summary>
    private void ReportReception(Participant sender, RtpPacket rtp)
    {
        var now = _time.GetElapsedTime(0);
        var stats = sender.Uplink;
        if (stats is null || stats.Ssrc != rtp.Ssrc)
        {
            sender.Uplink = stats = new RtpReceiverStatistics(rtp.Ssrc, OpusClockRate);
            sender.LastReceiverReport = now; // the first report once there is something to say
        }
        stats.OnRtp(rtp.SequenceNumber, rtp.Timestamp, now);
        if (now - sender.LastReceiverReport < ReceiverReportInterval)
            return;
        sender.LastReceiverReport = now;
        var writer = new RtcpWriter(sender.RtcpBuffer);
        writer.WriteReceiverReport(sender.ReporterSsrc, [stats.TakeReportBlock(now)]);
        sender.Peer.SendRtcp(writer.Written);
    }

    /// <summary>RTCP from a participant (receive thread): its sender reports give LSR for our receiver reports.</summary>
    private void OnRtcp(Participant sender, ReadOnlySpan<byte> packet)
    {
        if (sender.Uplink is not { } stats || !RtcpCompound.TryParse(packet, out var packets))
            return;
        foreach (var report in packets)
            if (report is RtcpSenderReport sr && sr.Ssrc == stats.Ssrc)
                stats.OnSenderReport(sr.NtpTimestamp, _time.GetElapsedTime(0));
    }

    private void UpdateSpeaking(Participant sender, RtpPacket rtp)
    {
        var loud = !sender.Flags.Muted && AudioLevel.TryRead(rtp, SdpOfferBuilder.AudioLevelExtensionId, out var level, out _) && level <= SpeakingLevel;
        if (loud)
        {
            sender.QuietPackets = 0;
            if (!sender.Speaking)
                PublishSpeaking(sender, true);
        }
        else if (sender.Speaking && ++sender.QuietPackets >= SpeakingHoldPackets)
            PublishSpeaking(sender, false);
    }

    private void PublishSpeaking(Participant participant, bool speaking)
    {
        participant.Speaking = speaking;
        var room = participant.Room;
        _events.Publish(Events.ToChannel("VOICE_SPEAKING", room.GuildId, room.ChannelId,
            new VoiceSpeakingPayload(room.GuildId, room.ChannelId, participant.UserId, speaking), Intents.GuildVoiceStates));
    }

    /// <summary>Offset of the element's id byte within the packet, or -1 (RFC 8285 one- and two-byte forms).</summary>
    private static int FindExtension(RtpPacket rtp, int id)
    {
        if (!rtp.HasExtension)
            return -1;
        var data = rtp.ExtensionData;
        var start = rtp.HeaderLength - data.Length;
        var oneByte = rtp.ExtensionProfile == RtpPacket.OneByteExtensionProfile;
        var twoByte = (rtp.ExtensionProfile & RtpPacket.TwoByteExtensionProfileMask) == RtpPacket.TwoByteExtensionProfile;
        for (var i = 0; i < data.Length;)
        {
            if (data[i] == 0)
            {
                i++;
                continue;
            }
            int elementId, length, header;
            if (oneByte)
            {
                elementId = data[i] >> 4;
                length = (data[i] & 0x0F) + 1;
                header = 1;
                if (elementId == 15)
                    return -1;
            }
            else if (twoByte && i + 1 < data.Length)
            {
                elementId = data[i];
                length = data[i + 1];
                header = 2;
            }
            else
                return -1;
            if (elementId == id)
                return start + i;
            i += header + length;
        }
        return -1;
    }

    private static void RenameExtension(Span<byte> packet, int offset, ushort profile)
    {
        if (profile == RtpPacket.OneByteExtensionProfile)
            packet[offset] = (byte)((UnusedExtensionId << 4) | (packet[offset] & 0x0F));
        else
            packet[offset] = UnusedExtensionId;
    }

    public void Dispose()
    {
        if (_transport.IsValueCreated)
            _transport.Value.Dispose();
    }

    private sealed class Room(long guildId, long channelId)
    {
        public long GuildId { get; } = guildId;

        public long ChannelId { get; } = channelId;

        public int Bitrate { get; set; } = Channels.ChannelRules.DefaultBitrate;

        /// <summary>Copy-on-write: the receive thread reads it without the lock.</summary>
        public Participant[] Members { get; set; } = [];
    }

    private sealed class Participant(GatewaySession session, Room room, RtcPeer peer, SdpOfferBuilder offers)
    {
        private Dictionary<long, Slot> _slots = [];

        public GatewaySession Session { get; } = session;

        public long UserId => Session.UserId;

        public Room Room { get; } = room;

        public RtcPeer Peer { get; } = peer;

        public SdpOfferBuilder Offers { get; } = offers;

        public string UplinkMid { get; set; } = "";

        public int Revision { get; set; }

        public VoiceFlags Flags { get; set; }

        public bool Speaking { get; set; }

        public int QuietPackets { get; set; }

        /// <summary>Only touched on the transport's one receive thread.</summary>
        public byte[] ForwardBuffer { get; } = new byte[1500];

        /// <summary>Reception statistics of the browser's microphone stream (receive thread only).</summary>
        public RtpReceiverStatistics? Uplink { get; set; }

        public TimeSpan LastReceiverReport { get; set; }

        /// <summary>The SSRC our receiver reports to this browser come from (RFC 3550 §6.4.2).</summary>
        public uint ReporterSsrc { get; } = (uint)Random.Shared.NextInt64(1, uint.MaxValue);

        public byte[] RtcpBuffer { get; } = new byte[64];

        /// <summary>Copy-on-write, like the room's members: read on the receive thread.</summary>
        public Dictionary<long, Slot> Slots => _slots;

        public void AddSlot(long senderId)
        {
            var ssrc = (uint)Random.Shared.NextInt64(1, uint.MaxValue);
            var mid = Offers.AddAudio(SdpDirection.SendOnly, ssrc, $"u{senderId}", $"u{senderId}", $"u{senderId}-audio");
            _slots = new Dictionary<long, Slot>(_slots) { [senderId] = new Slot(mid, ssrc) };
        }

        public void RemoveSlot(long senderId)
        {
            if (!_slots.TryGetValue(senderId, out var slot))
                return;
            Offers.Retire(slot.Mid);
            var next = new Dictionary<long, Slot>(_slots);
            next.Remove(senderId);
            _slots = next;
        }
    }

    private sealed record Slot(string Mid, uint Ssrc);
}
