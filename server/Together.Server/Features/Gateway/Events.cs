using System.Text.Json;
using System.Threading.Channels;
using Microsoft.EntityFrameworkCore;
using Together.Data.Snowflakes;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Gateway;

/// <summary>What a dispatch does to the gateway's cached view of a guild before it is delivered.</summary>
public enum StateChange
{
    None,
    /// <summary>Roles, channels or overwrites changed: reload the guild's permission data.</summary>
    Guild,
    /// <summary>One member joined, left or changed roles or timeout: reload that member.</summary>
    Member,
    /// <summary>The guild is gone: drop it and its subscriptions.</summary>
    GuildDeleted,
    /// <summary><see cref="GatewayEvent.MemberId"/> joined: subscribe their sessions, then deliver.</summary>
    Joined,
}

/// <summary>
/// A dispatch on its way to clients. The payload (<c>d</c>) is serialised once, when the event is
/// created; every recipient's frame wraps the same bytes. Who receives it: members of
/// <see cref="GuildId"/> (holding <see cref="Required"/>, in <see cref="ChannelId"/> when set),
/// and/or the sessions of <see cref="UserIds"/>.
/// </summary>
public sealed class GatewayEvent
{
    public required string Name { get; init; }

    public required byte[] Payload { get; init; }

    /// <summary>
    /// For message events: connections without the MESSAGE_CONTENT intent (and not in
    /// <see cref="ContentVisibleTo"/>) get the payload with content, embeds and attachments blanked,
    /// made from <see cref="Payload"/> only when the first such recipient is found.
    /// </summary>
    public bool ContentGated { get; init; }

    public Intents Intent { get; init; }

    public long? GuildId { get; init; }

    public long? ChannelId { get; init; }

    public P Required { get; init; }

    public IReadOnlyList<long>? UserIds { get; init; }

    /// <summary>Users who, besides the audience, must not receive this (e.g. the actor of a presence change).</summary>
    public long? ExceptUserId { get; init; }

    public StateChange Change { get; init; }

    /// <summary>The member a <see cref="StateChange.Member"/> change is about.</summary>
    public long? MemberId { get; init; }

    /// <summary>For message events: the author and the mentioned users, who see content regardless of intents.</summary>
    public IReadOnlyList<long>? ContentVisibleTo { get; init; }

    /// <summary>
    /// For channel updates that change who can see the channel: what those who just lost sight
    /// of it receive instead (a CHANNEL_DELETE), so a hidden channel disappears at once.
    /// </summary>
    public (string Name, byte[] Payload)? ForLostAccess { get; init; }

    /// <summary>Only <see cref="UserIds"/> receive it; <see cref="GuildId"/> only names the state to change.</summary>
    public bool NamedUsersOnly { get; init; }

    /// <summary>
    /// Not a dispatch: the login session (refresh-token family) with this id was revoked (logout,
    /// password change, token theft); the gateway sessions it opened are closed with 4004.
    /// </summary>
    public long? RevokedAuthSessionId { get; init; }

    /// <summary>Deliver with the state as it was, then apply the change (a channel being deleted).</summary>
    public bool ChangeAfterDelivery { get; init; }

    /// <summary>Not a dispatch: events may have been lost (see <see cref="Dispatcher.EnqueueResync"/>).</summary>
    public bool Resync { get; init; }

    private DispatchBody? _body;
    private DispatchBody? _bodyWithoutContent;

    /// <summary>What every recipient's session keeps: made once, not once per recipient.</summary>
    internal DispatchBody Body => _body ??= new DispatchBody(Name, Payload);

    internal DispatchBody BodyWithoutContent => _bodyWithoutContent ??= new DispatchBody(Name, MessageContent.Blanked(Payload));
}

/// <summary>
/// Carries events from the code that commits a change to every gateway connection. Publish is
/// called after the database write commits, and never blocks the caller.
/// </summary>
public interface IEventBus
{
    void Publish(GatewayEvent gatewayEvent);
}

/// <summary>One process: events go straight to this process's dispatcher, in publish order.</summary>
public sealed class InProcessEventBus(Dispatcher dispatcher) : IEventBus
{
    public void Publish(GatewayEvent gatewayEvent) => dispatcher.Enqueue(gatewayEvent);
}

/// <summary>Builds gateway events from the wire objects REST already returns.</summary>
public static class Events
{
    public static byte[] Serialize<T>(T payload) => JsonSerializer.SerializeToUtf8Bytes(payload, GatewayJson.Options);

    public static GatewayEvent ToGuild<T>(string name, long guildId, T payload, Intents intent, P required = P.None,
        StateChange change = StateChange.None, long? memberId = null, IReadOnlyList<long>? alsoUsers = null) => new()
    {
        Name = name,
        Payload = Serialize(payload),
        Intent = intent,
        GuildId = guildId,
        Required = required,
        Change = change,
        MemberId = memberId,
        UserIds = alsoUsers,
    };

    public static GatewayEvent ToChannel<T>(string name, long guildId, long channelId, T payload, Intents intent, P required = P.ViewChannel) => new()
    {
        Name = name,
        Payload = Serialize(payload),
        Intent = intent,
        GuildId = guildId,
        ChannelId = channelId,
        Required = required | P.ViewChannel,
    };

    /// <summary>Closes the gateway sessions opened with a login session that was just revoked.</summary>
    public static GatewayEvent AuthSessionRevoked(long userId, long authSessionId) => new()
    {
        Name = "",
        Payload = [],
        UserIds = [userId],
        RevokedAuthSessionId = authSessionId,
    };

    public static GatewayEvent ToUsers<T>(string name, IReadOnlyList<long> userIds, T payload) => new()
    {
        Name = name,
        Payload = Serialize(payload),
        Intent = Intents.None,
        UserIds = userIds,
    };

    public static Snowflake Id(long value) => new(value);
}

/// <summary>
/// The single consumer of events in this process. It applies each event's state change to the
/// guild cache and then delivers it, one event at a time, so every connection sees events in the
/// order they were published.
/// </summary>
public sealed class Dispatcher(GuildStates guilds, SessionRegistry sessions, IServiceScopeFactory scopes, IServiceProvider services, ILogger<Dispatcher> logger) : BackgroundService
{
    private readonly Channel<GatewayEvent> _queue = Channel.CreateUnbounded<GatewayEvent>(new UnboundedChannelOptions { SingleReader = true });

    private int _unfinished;

    public void Enqueue(GatewayEvent gatewayEvent)
    {
        Interlocked.Increment(ref _unfinished);
        if (!_queue.Writer.TryWrite(gatewayEvent))
            Interlocked.Decrement(ref _unfinished);
    }

    /// <summary>Every event enqueued so far has been delivered (tests wait for this before changing state behind the dispatcher).</summary>
    public bool Idle => Volatile.Read(ref _unfinished) == 0;

    /// <summary>
    /// Events may have been lost (the event bus was cut off): after the events already queued,
    /// drop the guild cache (each guild is read afresh when next needed) and have every session
    /// identify anew, so clients get the guilds as they are now.
    /// </summary>
    public void EnqueueResync() => Enqueue(new GatewayEvent { Name = "", Payload = [], Resync = true });

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            await foreach (var gatewayEvent in _queue.Reader.ReadAllAsync(stoppingToken))
            {
                try
                {
                    await DeliverAsync(gatewayEvent, stoppingToken);
                }
                catch (Exception ex) when (ex is not OperationCanceledException)
                {
                    logger.LogError(ex, "Could not dispatch {Event}", gatewayEvent.Name);
                }
                finally
                {
                    Interlocked.Decrement(ref _unfinished);
                }
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Shutting down.
        }
    }

    private async Task DeliverAsync(GatewayEvent e, CancellationToken cancellationToken)
    {
        if (e.Resync)
        {
            guilds.Clear();
            // Resolved here, not injected: the server depends (through presence) on the event
            // bus, which depends on this dispatcher.
            services.GetRequiredService<GatewayServer>().InvalidateAllSessions();
            return;
        }
        if (e.RevokedAuthSessionId is { } revoked)
        {
            foreach (var userId in e.UserIds ?? [])
                foreach (var session in sessions.OfUser(userId).Where(s => s.AuthSessionId == revoked))
                {
                    sessions.Remove(session);
                    session.Connection?.Close(CloseCode.AuthenticationFailed, "Authentication failed: session revoked.");
                }
            return;
        }
        HashSet<GatewaySession>? sawBefore = null;
        if (e.ForLostAccess is not null && e.GuildId is { } watched && guilds.TryGet(watched, out var previous))
            sawBefore = Audience(e, previous).ToHashSet();
        _revealed.Clear();
        if (!e.ChangeAfterDelivery)
            await ApplyAsync(e, cancellationToken);

        // Who got it, only when someone else may be owed it too: a message to 500 members does
        // not need a 500-entry set.
        var delivered = sawBefore is not null || e.UserIds is not null ? new HashSet<GatewaySession>() : null;
        if (!e.NamedUsersOnly && e.GuildId is { } guildId && guilds.TryGet(guildId, out var state))
            foreach (var session in Audience(e, state))
            {
                session.Dispatch(BodyFor(e, session));
                delivered?.Add(session);
            }
        if (sawBefore is not null && e.ForLostAccess is { } lost)
            foreach (var session in sawBefore.Where(s => !delivered!.Contains(s)))
            {
                session.Dispatch(lost.Name, lost.Payload);
                delivered!.Add(session);
            }
        // Sessions named directly: a joining or leaving member hears about it even though they
        // are not (or no longer) subscribed to the guild.
        if (e.UserIds is { } users)
            foreach (var userId in users)
                foreach (var session in sessions.OfUser(userId))
                    if (delivered!.Add(session))
                        session.Dispatch(BodyFor(e, session));
        if (e.ChangeAfterDelivery)
            await ApplyAsync(e, cancellationToken);
        // Channels the change revealed or hid go out after the event that explains them (the
        // member's new roles), so clients that check permissions themselves agree.
        foreach (var (session, name, payload) in _revealed)
            session.Dispatch(name, payload);
        _revealed.Clear();
    }

    private readonly List<(GatewaySession Session, string Name, byte[] Payload)> _revealed = [];

    private IEnumerable<GatewaySession> Audience(GatewayEvent e, GuildState state)
    {
        foreach (var session in sessions.InGuild(state.GuildId))
        {
            if (session.UserId == e.ExceptUserId || !session.Wants(e.Intent) || !state.IsMember(session.UserId))
                continue;
            var permissions = e.ChannelId is { } channelId
                ? state.PermissionsIn(session.UserId, channelId)
                : state.PermissionsOf(session.UserId);
            if ((permissions & e.Required) == e.Required)
                yield return session;
        }
    }

    private async Task ApplyAsync(GatewayEvent e, CancellationToken cancellationToken)
    {
        if (e.GuildId is not { } guildId)
            return;
        switch (e.Change)
        {
            case StateChange.Guild:
                var seen = VisibleChannels(guildId, null);
                await guilds.ReloadAsync(guildId, cancellationToken);
                await AnnounceVisibilityAsync(guildId, seen, e.ChannelId, cancellationToken);
                break;
            case StateChange.Member when e.MemberId is { } memberId:
                var before = guilds.IsMember(guildId, memberId);
                var seenByMember = VisibleChannels(guildId, memberId);
                await guilds.ReloadMemberAsync(guildId, memberId, cancellationToken);
                if (before && !guilds.IsMember(guildId, memberId))
                    sessions.Unsubscribe(guildId, memberId);
                else
                    await AnnounceVisibilityAsync(guildId, seenByMember, null, cancellationToken);
                break;
            case StateChange.Joined when e.MemberId is { } joinedId:
                if (guilds.TryGet(guildId, out _))
                    await guilds.ReloadMemberAsync(guildId, joinedId, cancellationToken);
                else
                    await guilds.GetOrLoadAsync(guildId, cancellationToken);
                sessions.Subscribe(guildId, joinedId);
                break;
            case StateChange.GuildDeleted:
                sessions.UnsubscribeAll(guildId);
                guilds.Forget(guildId);
                break;
        }
    }

    /// <summary>For each connected member (or one), the channels they can see now.</summary>
    private Dictionary<long, HashSet<long>> VisibleChannels(long guildId, long? onlyUser)
    {
        var result = new Dictionary<long, HashSet<long>>();
        if (!guilds.TryGet(guildId, out var state))
            return result;
        foreach (var userId in sessions.InGuild(guildId).Select(s => s.UserId).Distinct())
            if (onlyUser is null || onlyUser == userId)
                result[userId] = state.Channels.Keys.Where(c => (state.PermissionsIn(userId, c) & Permissions.Permissions.ViewChannel) != 0).ToHashSet();
        return result;
    }

    /// <summary>
    /// Channels that a role or member change revealed or hid: CHANNEL_CREATE or CHANNEL_DELETE to
    /// those members, so their channel list follows their permissions without a reconnect. The
    /// channel an event is itself about is left to that event.
    /// </summary>
    private async Task AnnounceVisibilityAsync(long guildId, Dictionary<long, HashSet<long>> before, long? exceptChannel, CancellationToken cancellationToken)
    {
        var after = VisibleChannels(guildId, null);
        var changes = new List<(long User, long Channel, bool Gained)>();
        foreach (var (userId, was) in before)
        {
            var now = after.GetValueOrDefault(userId) ?? [];
            changes.AddRange(now.Except(was).Where(c => c != exceptChannel).Select(c => (userId, c, true)));
            changes.AddRange(was.Except(now).Where(c => c != exceptChannel).Select(c => (userId, c, false)));
        }
        if (changes.Count == 0)
            return;
        await using var scope = scopes.CreateAsyncScope();
        var db = scope.ServiceProvider.GetRequiredService<Data.TogetherDb>();
        var ids = changes.Select(c => c.Channel).Distinct().ToList();
        var channels = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites)
            .Where(c => ids.Contains(c.Id)).ToDictionaryAsync(c => c.Id, cancellationToken);
        foreach (var (userId, channelId, gained) in changes)
        {
            if (!channels.TryGetValue(channelId, out var channel))
                continue;
            var payload = Events.Serialize(Channels.ChannelObject.From(channel));
            foreach (var session in sessions.OfUser(userId).Where(s => s.Wants(Intents.Guilds) && s.OwnsGuild(guildId)))
                _revealed.Add((session, gained ? "CHANNEL_CREATE" : "CHANNEL_DELETE", payload));
        }
    }

    private static DispatchBody BodyFor(GatewayEvent e, GatewaySession session) =>
        e.ContentGated && !session.Wants(Intents.MessageContent) && e.ContentVisibleTo?.Contains(session.UserId) != true
            ? e.BodyWithoutContent
            : e.Body;
}

/// <summary>What a connection without the MESSAGE_CONTENT intent sees of a message event.</summary>
public static class MessageContent
{
    /// <summary>
    /// The message object with <c>content</c> "", <c>embeds</c> and <c>attachments</c> [], every
    /// other member as it was (in the same order): most connections have the intent, so this is
    /// made only when one does not, instead of serialising a second payload for every message.
    /// </summary>
    public static byte[] Blanked(byte[] payload)
    {
        ArgumentNullException.ThrowIfNull(payload);
        var reader = new Utf8JsonReader(payload);
        var output = new System.Buffers.ArrayBufferWriter<byte>(payload.Length);
        using (var writer = new Utf8JsonWriter(output))
        {
            reader.Read();
            writer.WriteStartObject();
            while (reader.Read() && reader.TokenType == JsonTokenType.PropertyName)
            {
                if (reader.ValueTextEquals("content"u8))
                {
                    writer.WriteString("content"u8, ""u8);
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                if (reader.ValueTextEquals("embeds"u8) || reader.ValueTextEquals("attachments"u8))
                {
                    writer.WritePropertyName(reader.ValueSpan);
                    writer.WriteStartArray();
                    writer.WriteEndArray();
                    reader.Read();
                    reader.Skip();
                    continue;
                }
                writer.WritePropertyName(reader.ValueSpan);
                reader.Read();
                var start = (int)reader.TokenStartIndex;
                reader.Skip();
                var end = (int)reader.BytesConsumed;
                writer.WriteRawValue(payload.AsSpan(start, end - start), skipInputValidation: true);
            }
            writer.WriteEndObject();
        }
        return output.WrittenSpan.ToArray();
    }
}
