using System.Globalization;
using System.Text.Json;
using Together.Server.Features.Members;

namespace Together.Server.Features.Gateway.Handlers;

public sealed record GuildMembersChunk(
    Data.Snowflakes.Snowflake GuildId,
    IReadOnlyList<MemberObject> Members,
    int ChunkIndex,
    int ChunkCount,
    IReadOnlyList<Data.Snowflakes.Snowflake>? NotFound,
    IReadOnlyList<PresenceObject>? Presences,
    string? Nonce);

/// <summary>
/// Op 8 REQUEST_GUILD_MEMBERS: members of a guild the caller belongs to, by name prefix or ids,
/// answered with GUILD_MEMBERS_CHUNK dispatches of up to 1000 members each.
/// </summary>
public sealed class RequestGuildMembers(IServiceScopeFactory scopes, GuildStates guilds, PresenceTracker presence, TimeProvider time) : IOpHandler
{
    public const int ChunkSize = 1000;

    public int Op => Gateway.Op.RequestGuildMembers;

    public async Task HandleAsync(GatewayConnection connection, JsonElement data, CancellationToken cancellationToken)
    {
        RequestGuildMembersPayload? payload;
        try
        {
            payload = data.Deserialize<RequestGuildMembersPayload>(GatewayJson.Options);
        }
        catch (JsonException)
        {
            payload = null;
        }
        var session = connection.Session!;
        if (payload is null || !TryIds(payload.GuildId, out var guildIds) || !TryIds(payload.UserIds, out var userIds)
            || payload.Limit is < 0 || payload.Nonce is { Length: > 32 } || userIds.Count > 100)
        {
            connection.Close(CloseCode.DecodeError, "Invalid REQUEST_GUILD_MEMBERS payload.");
            return;
        }
        // Discord's rules: the whole member list (no ids, empty query) needs GUILD_MEMBERS, and
        // such a request without it gets no answer at all; presences need GUILD_PRESENCES, else
        // they are left out as if not asked for.
        if (userIds.Count == 0 && string.IsNullOrEmpty(payload.Query) && !session.Wants(Intents.GuildMembers))
            return;
        var withPresences = payload.Presences == true && session.Wants(Intents.GuildPresences);
        await using var scope = scopes.CreateAsyncScope();
        var builder = scope.ServiceProvider.GetRequiredService<ReadyBuilder>();
        foreach (var guildId in guildIds.Where(g => guilds.IsMember(g, session.UserId)))
        {
            var members = await builder.MembersAsync(guildId, payload.Query, userIds, payload.Limit ?? 0, cancellationToken);
            var notFound = userIds.Count > 0 ? userIds.Except(members.Select(m => m.UserId)).Select(id => new Data.Snowflakes.Snowflake(id)).ToList() : null;
            var chunks = Math.Max(1, (members.Count + ChunkSize - 1) / ChunkSize);
            for (var i = 0; i < chunks; i++)
            {
                var page = members.Skip(i * ChunkSize).Take(ChunkSize).ToList();
                session.Dispatch("GUILD_MEMBERS_CHUNK", Events.Serialize(new GuildMembersChunk(
                    guildId,
                    page.Select(m => MemberObject.From(m, time)).ToList(),
                    i, chunks,
                    i == 0 ? notFound : null,
                    withPresences ? page.Select(m => presence.For(m.UserId, null)).Where(p => p.Status != "offline").ToList() : null,
                    payload.Nonce)));
            }
        }
    }

    /// <summary>A snowflake or an array of them (Discord allows both for guild_id and user_ids).</summary>
    private static bool TryIds(JsonElement element, out List<long> ids)
    {
        ids = [];
        if (element.ValueKind is JsonValueKind.Undefined or JsonValueKind.Null)
            return true;
        var items = element.ValueKind == JsonValueKind.Array ? element.EnumerateArray().ToList() : [element];
        foreach (var item in items)
        {
            if (!PayloadIds.TryId(item, out var id) || id is null)
                return false;
            ids.Add(id.Value);
        }
        return true;
    }
}
