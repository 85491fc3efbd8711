using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Snowflakes;
using Together.Server.Features.Auth;
using Together.Server.Features.Permissions;
using Together.Server.Features.Users;
using Together.Server.Infrastructure;

namespace Together.Server.Features.AuditLog;

public sealed record AuditLogEntryObject(
    Snowflake Id,
    Snowflake? UserId,
    string? TargetId,
    int ActionType,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Changes,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] JsonElement? Options,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Reason);

/// <summary>Discord's audit log response; the integration-related lists are always empty here.</summary>
public sealed record AuditLogObject(
    IReadOnlyList<AuditLogEntryObject> AuditLogEntries,
    IReadOnlyList<UserObject> Users,
    IReadOnlyList<object> Webhooks,
    IReadOnlyList<object> Integrations,
    IReadOnlyList<object> Threads,
    IReadOnlyList<object> ApplicationCommands,
    IReadOnlyList<object> AutoModerationRules,
    IReadOnlyList<object> GuildScheduledEvents);

public static class GetAuditLog
{
    public static async Task<Ok<AuditLogObject>> Handle(
        Snowflake guildId,
        [FromQuery(Name = "user_id")] Snowflake? userId,
        [FromQuery(Name = "action_type")] int? actionType,
        Snowflake? before,
        Snowflake? after,
        int? limit,
        CurrentUser me,
        GuildAccess access,
        TogetherDb db,
        CancellationToken cancellationToken)
    {
        (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(Permissions.Permissions.ViewAuditLog);
        var take = limit ?? 50;
        if (take is < 1 or > 100)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 100.");
        var query = db.AuditLog.AsNoTracking().Where(e => e.GuildId == guildId.Value);
        if (userId is { } actor)
            query = query.Where(e => e.UserId == actor.Value);
        if (actionType is { } action)
            query = query.Where(e => e.ActionType == action);
        // Newest first with before=; oldest first from after=, as Discord pages it.
        var entries = after is { } a && before is null
            ? await query.Where(e => e.Id > a.Value).OrderBy(e => e.Id).Take(take).ToListAsync(cancellationToken)
            : await query.Where(e => before == null || e.Id < before.Value.Value).OrderByDescending(e => e.Id).Take(take).ToListAsync(cancellationToken);
        var userIds = entries.SelectMany(e => new[] { e.UserId, e.TargetId }).Where(id => id is not null).Select(id => id!.Value).Distinct().ToList();
        var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).ToListAsync(cancellationToken);
        return TypedResults.Ok(new AuditLogObject(
            entries.Select(e => new AuditLogEntryObject(
                e.Id,
                e.UserId,
                e.TargetId?.ToString(System.Globalization.CultureInfo.InvariantCulture),
                e.ActionType,
                e.ChangesJson is null ? null : JsonDocument.Parse(e.ChangesJson).RootElement.Clone(),
                e.OptionsJson is null ? null : JsonDocument.Parse(e.OptionsJson).RootElement.Clone(),
                e.Reason)).ToList(),
            users.Select(UserObject.From).ToList(),
            [], [], [], [], [], []));
    }
}
