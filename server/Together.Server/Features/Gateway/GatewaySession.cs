using System.Collections.Immutable;
using System.Security.Cryptography;

namespace Together.Server.Features.Gateway;

/// <summary>One dispatch kept for RESUME: its sequence number, name and the shared payload bytes.</summary>
public readonly record struct SentDispatch(int Seq, string Name, byte[] Payload);

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
    private readonly Queue<SentDispatch> _replay = new();
    private readonly int _replayLimit;
    private List<(string Name, byte[] Payload)>? _pending = [];
    private int _seq;

    public GatewaySession(long userId, long authSessionId, Intents intents, int shardId, int shardCount, int replayLimit)
    {
        UserId = userId;
        AuthSessionId = authSessionId;
        Intents = intents;
        ShardId = shardId;
        ShardCount = shardCount;
        _replayLimit = replayLimit;
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

    public string Status { get; set; } = "online";

    public IReadOnlyList<ActivityPayload> Activities { get; set; } = [];

    public bool Wants(Intents intent) => intent == Intents.None || (Intents & intent) != 0;

    /// <summary>Discord's sharding formula: a guild belongs to shard (guild_id &gt;&gt; 22) % shard_count.</summary>
    public bool OwnsGuild(long guildId) => ShardCount <= 1 || (int)((guildId >> 22) % ShardCount) == ShardId;

    /// <summary>
    /// Numbers, buffers and sends a dispatch. Before READY went out, dispatches wait so READY is
    /// always sequence 1; while detached, they are only buffered for a resume.
    /// </summary>
    public void Dispatch(string name, byte[] payload)
    {
        lock (_gate)
        {
            if (_pending is not null)
            {
                _pending.Add((name, payload));
                return;
            }
            Send(name, payload);
        }
    }

    /// <summary>READY and the GUILD_CREATEs, then everything that arrived while they were built.</summary>
    public void Start(GatewayConnection connection, IEnumerable<(string Name, byte[] Payload)> opening)
    {
        lock (_gate)
        {
            Connection = connection;
            foreach (var (name, payload) in opening)
                Send(name, payload);
            foreach (var (name, payload) in _pending ?? [])
                Send(name, payload);
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
            var oldest = _replay.Count > 0 ? _replay.Peek().Seq : _seq + 1;
            // Everything after lastSeq must still be in the buffer.
            if (lastSeq < oldest - 1)
                return ResumeOutcome.Gone;
            Connection?.Close(CloseCode.UnknownError, "Session resumed elsewhere.");
            Connection = connection;
            DetachedAt = null;
            foreach (var dispatch in _replay)
                if (dispatch.Seq > lastSeq)
                    connection.EnqueueReplay(dispatch);
            connection.EnqueueDispatch(new SentDispatch(++_seq, "RESUMED", "{}"u8.ToArray()));
            Remember(new SentDispatch(_seq, "RESUMED", "{}"u8.ToArray()));
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

    private void Send(string name, byte[] payload)
    {
        var dispatch = new SentDispatch(++_seq, name, payload);
        Remember(dispatch);
        Connection?.EnqueueDispatch(dispatch);
    }

    private void Remember(SentDispatch dispatch)
    {
        // Make room first: the queue's array then never grows past the limit (a power of two by default).
        while (_replay.Count >= _replayLimit)
            _replay.Dequeue();
        _replay.Enqueue(dispatch);
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
