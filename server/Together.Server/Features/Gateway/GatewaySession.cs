using System.Collections.Immutable;
using System.Security.Cryptography;

namespace Together.Server.Features.Gateway;

/// <summary>One numbered dispatch on its way to a connection.</summary>
public readonly record struct SentDispatch(int Seq, string Name, byte[] Payload);

/// <summary>
/// A dispatch's name and payload, made once per event (and payload variant) and shared by every
/// session it goes to: a session's replay buffer then holds one reference per dispatch.
/// </summary>
public sealed class DispatchBody(string name, byte[] payload)
{
    public string Name { get; } = name;

    public byte[] Payload { get; } = payload;

    /// <summary>Its number in the <see cref="DispatchLog"/>, once a session has sent it (0 before).</summary>
    internal long LogIndex;
}

/// <summary>
/// The bodies sessions have sent lately, numbered in the order they were first sent: what a
/// session keeps for RESUME is these numbers, not references.
/// </summary>
/// <remarks>
/// Why not references: a session's replay buffer lives long (the old generation) and every new
/// body is young, so storing one reference per recipient marks a card of the GC's card table in
/// 500 buffers per message, and every gen0 collection then scans all of those cards until a gen1
/// collection has promoted the bodies. On the fan-out benchmark that made each gen0 pause 9–14 ms
/// instead of 2–3 (docs/performance.md, sixth round). Numbers are plain integers: no write barrier.
/// The log holds the references, one write per body instead of one per recipient.
/// </remarks>
public sealed class DispatchLog
{
    private readonly DispatchBody?[] _bodies;
    private readonly long _mask;
    private readonly Lock _gate = new();
    private long _last;

    /// <param name="capacity">How many bodies back a resume can reach; a power of two.</param>
    public DispatchLog(int capacity) : this(capacity, 0)
    {
    }

    /// <summary>Numbering after <paramref name="startAfter"/> (tests: sessions keep 32 bits of a number, across the wrap).</summary>
    internal DispatchLog(int capacity, long startAfter)
    {
        if (capacity < 1 || (capacity & (capacity - 1)) != 0)
            throw new ArgumentOutOfRangeException(nameof(capacity), capacity, "Must be a power of two.");
        _bodies = new DispatchBody?[capacity];
        _mask = capacity - 1;
        _last = startAfter;
    }

    /// <summary>Room for every session's buffer and as many bodies again that went only to other sessions.</summary>
    public static DispatchLog For(GatewaySettings settings) =>
        new((int)System.Numerics.BitOperations.RoundUpToPowerOf2((uint)settings.ReplayBufferSize * 2));

    /// <summary>The body's number, logging it first when it is new here (or fell out of the log: a shared body such as RESUMED).</summary>
    public long Append(DispatchBody body)
    {
        var index = Volatile.Read(ref body.LogIndex);
        if (index != 0 && index > Volatile.Read(ref _last) - _bodies.Length)
            return index;
        lock (_gate)
        {
            index = body.LogIndex;
            if (index != 0 && index > _last - _bodies.Length)
                return index;
            index = ++_last;
            _bodies[index & _mask] = body;
            Volatile.Write(ref body.LogIndex, index);
            return index;
        }
    }

    /// <summary>The newest number given out.</summary>
    public long Last => Volatile.Read(ref _last);

    /// <summary>The body logged as <paramref name="index"/>, unless newer ones have taken its place.</summary>
    public DispatchBody? Get(long index)
    {
        lock (_gate)
            return index > 0 && index <= _last && index > _last - _bodies.Length ? _bodies[index & _mask] : null;
    }
}

public enum ResumeOutcome
{
    Resumed,
    /// <summary>The client claims a sequence number the session never sent: close 4007.</summary>
    InvalidSeq,
    /// <summary>What the client missed has left the replay buffer: op 9.</summary>
    Gone,
}

/// <summary>
/// A gateway session: what IDENTIFY started and RESUME continues. It outlives its connection for
/// the resume window, keeps numbering and buffering dispatches meanwhile, and replays them in
/// order to the connection that resumes it.
/// </summary>
public sealed class GatewaySession
{
    private readonly object _gate = new();
    private readonly DispatchLog _log;
    // The last dispatches, oldest at _replayStart; their sequence numbers run up to _seq without
    // gaps, so only their bodies' numbers in the log are kept, and of those only the low 32 bits
    // (4 bytes a slot: 500 full sessions hold 4 MB). The array grows by doubling up to the limit,
    // so a quiet session stays small.
    private uint[] _replay;
    private int _replayStart;
    private int _replayCount;
    private readonly int _replayLimit;
    private List<DispatchBody>? _pending = [];
    private int _seq;
    private bool _mayHoldVoiceState;

    public GatewaySession(long userId, long authSessionId, Intents intents, int shardId, int shardCount, int replayLimit, DispatchLog log)
    {
        _log = log;
        UserId = userId;
        AuthSessionId = authSessionId;
        Intents = intents;
        ShardId = shardId;
        ShardCount = shardCount;
        ArgumentOutOfRangeException.ThrowIfLessThan(replayLimit, 1);
        _replayLimit = replayLimit;
        _replay = new uint[Math.Min(16, replayLimit)];
        Id = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(16));
    }

    public string Id { get; }

    public long UserId { get; }

    /// <summary>The login session (refresh-token family) whose token identified this gateway session.</summary>
    public long AuthSessionId { get; }

    public Intents Intents { get; }

    public int ShardId { get; }

    public int ShardCount { get; }

    public GatewayConnection? Connection { get; private set; }

    /// <summary>When the connection went away; the session dies a resume window later.</summary>
    public DateTimeOffset? DetachedAt { get; private set; }

    /// <summary>Ended because it may have missed events; its connection's end announces nothing.</summary>
    public bool Invalidated { get; set; }

    /// <summary>
    /// Set (and never cleared) before this session's first voice join writes its state: a
    /// session that never joined voice has no state to clear when it ends, and ending 500 of
    /// them after a restart should not cost 500 queries.
    /// </summary>
    public bool MayHoldVoiceState
    {
        get => Volatile.Read(ref _mayHoldVoiceState);
        set => Volatile.Write(ref _mayHoldVoiceState, value);
    }

    public string Status { get; set; } = "online";

    public IReadOnlyList<ActivityPayload> Activities { get; set; } = [];

    public bool Wants(Intents intent) => intent == Intents.None || (Intents & intent) != 0;

    /// <summary>Discord's sharding formula: a guild belongs to shard (guild_id &gt;&gt; 22) % shard_count.</summary>
    public bool OwnsGuild(long guildId) => ShardCount <= 1 || (int)((guildId >> 22) % ShardCount) == ShardId;

    /// <summary>
    /// Numbers, buffers and sends a dispatch. Before READY went out, dispatches wait so READY is
    /// always sequence 1; while detached, they are only buffered for a resume.
    /// </summary>
    public void Dispatch(string name, byte[] payload) => Dispatch(new DispatchBody(name, payload));

    /// <inheritdoc cref="Dispatch(string, byte[])"/>
    public void Dispatch(DispatchBody body)
    {
        lock (_gate)
        {
            if (_pending is not null)
            {
                _pending.Add(body);
                return;
            }
            Send(body);
        }
    }

    /// <summary>READY and the GUILD_CREATEs, then everything that arrived while they were built.</summary>
    public void Start(GatewayConnection connection, IEnumerable<(string Name, byte[] Payload)> opening)
    {
        lock (_gate)
        {
            Connection = connection;
            foreach (var (name, payload) in opening)
                Send(new DispatchBody(name, payload));
            foreach (var body in _pending ?? [])
                Send(body);
            _pending = null;
        }
    }

    /// <summary>Attaches a resuming connection and replays what it missed, unless that cannot be done.</summary>
    public ResumeOutcome Resume(GatewayConnection connection, int lastSeq)
    {
        lock (_gate)
        {
            // A client cannot have seen a dispatch this session never sent (Discord closes 4007).
            if (lastSeq > _seq)
                return ResumeOutcome.InvalidSeq;
            var oldest = _seq - _replayCount + 1;
            // Everything after lastSeq must still be in the buffer.
            if (lastSeq < oldest - 1)
                return ResumeOutcome.Gone;
            // ... and its body still in the log.
            var missed = new DispatchBody[_seq - lastSeq];
            for (var i = 0; i < missed.Length; i++)
            {
                if (Logged(_replay[(_replayStart + lastSeq + 1 + i - oldest) % _replay.Length]) is not { } body)
                    return ResumeOutcome.Gone;
                missed[i] = body;
            }
            Connection?.Close(CloseCode.UnknownError, "Session resumed elsewhere.");
            Connection = connection;
            DetachedAt = null;
            for (var i = 0; i < missed.Length; i++)
                connection.EnqueueReplay(new SentDispatch(lastSeq + 1 + i, missed[i].Name, missed[i].Payload));
            Send(Resumed);
            return ResumeOutcome.Resumed;
        }
    }

    public int LastSeq
    {
        get
        {
            lock (_gate)
                return _seq;
        }
    }

    /// <summary>The connection is gone; keep the session (and its buffer) for a resume.</summary>
    public void Detach(GatewayConnection connection, DateTimeOffset now)
    {
        lock (_gate)
        {
            if (Connection != connection)
                return;
            Connection = null;
            DetachedAt = now;
        }
    }

    private static readonly DispatchBody Resumed = new("RESUMED", "{}"u8.ToArray());

    private void Send(DispatchBody body)
    {
        ++_seq;
        Remember(body);
        Connection?.EnqueueDispatch(new SentDispatch(_seq, body.Name, body.Payload));
    }

    /// <summary>The body whose log number ends in these 32 bits: the newest such number not above the log's last.</summary>
    private DispatchBody? Logged(uint low)
    {
        var last = _log.Last;
        return _log.Get(last - (uint)((uint)last - low));
    }

    private void Remember(DispatchBody body)
    {
        var number = (uint)_log.Append(body);
        if (_replayCount == _replay.Length && _replay.Length < _replayLimit)
        {
            var grown = new uint[Math.Min(_replay.Length * 2, _replayLimit)];
            for (var i = 0; i < _replayCount; i++)
                grown[i] = _replay[(_replayStart + i) % _replay.Length];
            _replay = grown;
            _replayStart = 0;
        }
        if (_replayCount == _replay.Length)
        {
            // Full at the limit: the oldest makes room.
            _replay[_replayStart] = number;
            _replayStart = (_replayStart + 1) % _replay.Length;
        }
        else
        {
            _replay[(_replayStart + _replayCount) % _replay.Length] = number;
            _replayCount++;
        }
    }
}

/// <summary>Every live or resumable session of this process, by id, by user and by guild.</summary>
public sealed class SessionRegistry
{
    private readonly object _gate = new();
    private readonly Dictionary<string, GatewaySession> _byId = [];
    private readonly Dictionary<long, ImmutableArray<GatewaySession>> _byUser = [];
    private readonly Dictionary<long, ImmutableArray<GatewaySession>> _byGuild = [];
    private readonly Dictionary<GatewaySession, HashSet<long>> _guildsOf = [];

    public int Count
    {
        get
        {
            lock (_gate)
                return _byId.Count;
        }
    }

    public void Add(GatewaySession session, IEnumerable<long> guildIds)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            _byId[session.Id] = session;
            _byUser[session.UserId] = _byUser.GetValueOrDefault(session.UserId, []).Add(session);
            _guildsOf[session] = [];
            foreach (var guildId in guildIds)
                SubscribeLocked(session, guildId);
        }
    }

    public GatewaySession? Find(string sessionId)
    {
        lock (_gate)
            return _byId.GetValueOrDefault(sessionId);
    }

    public void Remove(GatewaySession session)
    {
        ArgumentNullException.ThrowIfNull(session);
        lock (_gate)
        {
            if (!_byId.Remove(session.Id))
                return;
            var others = _byUser.GetValueOrDefault(session.UserId, []).Remove(session);
            if (others.IsEmpty)
                _byUser.Remove(session.UserId);
            else
                _byUser[session.UserId] = others;
            foreach (var guildId in _guildsOf[session])
                _byGuild[guildId] = _byGuild[guildId].Remove(session);
            _guildsOf.Remove(session);
        }
    }

    /// <summary>Starts delivering a guild's events to every session of a user (they joined it).</summary>
    public void Subscribe(long guildId, long userId)
    {
        lock (_gate)
            foreach (var session in _byUser.GetValueOrDefault(userId, []))
                SubscribeLocked(session, guildId);
    }

    public void Unsubscribe(long guildId, long userId)
    {
        lock (_gate)
            foreach (var session in _byUser.GetValueOrDefault(userId, []))
                if (_guildsOf[session].Remove(guildId))
                    _byGuild[guildId] = _byGuild[guildId].Remove(session);
    }

    public void UnsubscribeAll(long guildId)
    {
        lock (_gate)
        {
            foreach (var session in _byGuild.GetValueOrDefault(guildId, []))
                _guildsOf[session].Remove(guildId);
            _byGuild.Remove(guildId);
        }
    }

    public ImmutableArray<GatewaySession> InGuild(long guildId)
    {
        lock (_gate)
            return _byGuild.GetValueOrDefault(guildId, []);
    }

    public ImmutableArray<GatewaySession> OfUser(long userId)
    {
        lock (_gate)
            return _byUser.GetValueOrDefault(userId, []);
    }

    public IReadOnlyList<GatewaySession> All()
    {
        lock (_gate)
            return _byId.Values.ToList();
    }

    private void SubscribeLocked(GatewaySession session, long guildId)
    {
        if (!session.OwnsGuild(guildId) || !_guildsOf[session].Add(guildId))
            return;
        _byGuild[guildId] = _byGuild.GetValueOrDefault(guildId, []).Add(session);
    }
}
