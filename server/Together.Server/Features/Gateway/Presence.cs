using System.Collections.Concurrent;

namespace Together.Server.Features.Gateway;

public sealed record ClientStatus(string? Desktop, string? Mobile, string? Web);

public sealed record PresenceObject(PresenceUser User, Data.Snowflakes.Snowflake? GuildId, string Status, IReadOnlyList<ActivityPayload> Activities, ClientStatus ClientStatus);

public sealed record PresenceUser(Data.Snowflakes.Snowflake Id);

/// <summary>
/// Who is online, from the sessions of this process. A user's status is what they last chose
/// (online, idle, dnd, invisible); with no session left they are offline, and invisible users
/// look offline to everyone else.
/// </summary>
public sealed class PresenceTracker(SessionRegistry sessions)
{
    private readonly ConcurrentDictionary<long, (string Status, IReadOnlyList<ActivityPayload> Activities)> _chosen = new();

    public static bool IsValidStatus(string? status) => status is "online" or "idle" or "dnd" or "invisible" or "offline";

    public void Choose(long userId, string status, IReadOnlyList<ActivityPayload> activities) =>
        _chosen[userId] = (status == "offline" ? "invisible" : status, activities);

    /// <summary>What others see.</summary>
    public (string Status, IReadOnlyList<ActivityPayload> Activities) Visible(long userId)
    {
        if (sessions.OfUser(userId).IsEmpty || !_chosen.TryGetValue(userId, out var chosen) || chosen.Status == "invisible")
            return ("offline", []);
        return chosen;
    }

    public PresenceObject For(long userId, long? guildId)
    {
        var (status, activities) = Visible(userId);
        return new PresenceObject(new PresenceUser(userId), guildId, status, activities,
            new ClientStatus(status == "offline" ? null : status, null, null));
    }

    public void Forget(long userId)
    {
        if (sessions.OfUser(userId).IsEmpty)
            _chosen.TryRemove(userId, out _);
    }
}

/// <summary>Publishes PRESENCE_UPDATE to every guild a user shares with others, when what others see changes.</summary>
public sealed class PresencePublisher(PresenceTracker tracker, GuildStates guilds, IEventBus bus)
{
    private readonly ConcurrentDictionary<long, string> _announced = new();

    /// <summary>A member just joined a guild: its other members learn whether they are online.</summary>
    public void AnnounceTo(long guildId, long userId)
    {
        var (status, activities) = tracker.Visible(userId);
        if (status == "offline")
            return;
        bus.Publish(new GatewayEvent
        {
            Name = "PRESENCE_UPDATE",
            Payload = Events.Serialize(new PresenceObject(new PresenceUser(userId), guildId, status, activities, new ClientStatus(status, null, null))),
            Intent = Intents.GuildPresences,
            GuildId = guildId,
            ExceptUserId = userId,
        });
    }

    public void Announce(long userId, bool forceOffline = false)
    {
        var (status, activities) = forceOffline ? ("offline", (IReadOnlyList<ActivityPayload>)[]) : tracker.Visible(userId);
        // Everything others see: an activity whose type, state or url changed under the same name is news too.
        var key = status + "|" + System.Text.Encoding.UTF8.GetString(Events.Serialize(activities));
        var previous = _announced.GetValueOrDefault(userId);
        if (previous == key || previous is null && status == "offline")
            return;
        if (status == "offline")
            _announced.TryRemove(userId, out _);
        else
            _announced[userId] = key;
        foreach (var guildId in guilds.GuildsOfMember(userId))
            bus.Publish(new GatewayEvent
            {
                Name = "PRESENCE_UPDATE",
                Payload = Events.Serialize(new PresenceObject(new PresenceUser(userId), guildId, status, activities,
                    new ClientStatus(status == "offline" ? null : status, null, null))),
                Intent = Intents.GuildPresences,
                GuildId = guildId,
                ExceptUserId = userId,
            });
    }
}
