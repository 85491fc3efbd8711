using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Channels;

public sealed record PutOverwriteRequest(int? Type, P? Allow, P? Deny);

/// <summary>
/// Channel permission overwrites. Setting them needs MANAGE_ROLES, and nobody can allow or deny a
/// permission they do not hold themselves (owners and administrators hold all).
/// </summary>
public static class Overwrites
{
    /// <summary>Replaces a channel's overwrites; <paramref name="held"/> is what the caller holds there.</summary>
    public static async Task ReplaceAsync(MemberAccess member, Channel channel, IReadOnlyList<OverwriteRequest> requested,
        P held, TogetherDb db, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(requested);
        if ((held & P.ManageRoles) == 0)
            throw ApiException.MissingPermissions();
        var errors = new FormErrors();
        for (var i = 0; i < requested.Count; i++)
            await CheckAsync(member, requested[i].Id, requested[i].Type, requested[i].Allow ?? 0, requested[i].Deny ?? 0, held, $"permission_overwrites.{i}", errors, db, cancellationToken);
        if (errors.Any)
            throw ApiException.Invalid(errors);
        channel.PermissionOverwrites.Clear();
        foreach (var o in requested.DistinctBy(o => o.Id.Value))
            channel.PermissionOverwrites.Add(new PermissionOverwrite
            {
                ChannelId = channel.Id,
                TargetId = o.Id,
                Type = (OverwriteType)o.Type,
                Allow = (long)(o.Allow ?? 0),
                Deny = (long)(o.Deny ?? 0),
            });
    }

    private static async Task CheckAsync(MemberAccess member, Snowflake target, int? type, P allow, P deny, P held, string field,
        FormErrors errors, TogetherDb db, CancellationToken cancellationToken)
    {
        if (type is not (0 or 1))
        {
            errors.Add($"{field}.type", "BASE_TYPE_CHOICES", "Value must be one of 0, 1.");
            return;
        }
        if (((allow | deny) & ~PermissionSets.All) != 0 || ((allow | deny) & P.Administrator) != 0)
            errors.Add(field, "PERMISSIONS_INVALID", "Overwrites cannot contain ADMINISTRATOR or unknown bits.");
        // Only what you hold yourself can be handed out or taken away.
        else if (((allow | deny) & ~held) != 0)
            throw ApiException.MissingPermissions();
        var exists = type == 0
            ? member.Roles.ContainsKey(target)
            : await db.GuildMembers.AnyAsync(m => m.GuildId == member.Guild.Id && m.UserId == target.Value, cancellationToken);
        if (!exists)
            errors.Add($"{field}.id", type == 0 ? "ROLE_INVALID" : "MEMBER_INVALID", type == 0 ? "Unknown role of this server." : "Unknown member of this server.");
    }

    public static async Task<NoContent> Put(
        Snowflake channelId, Snowflake overwriteId, PutOverwriteRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var (channel, member, permissions) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ManageRoles) == 0)
            throw ApiException.MissingPermissions();
        var errors = new FormErrors();
        await CheckAsync(member, overwriteId, body.Type, body.Allow ?? 0, body.Deny ?? 0, permissions, "", errors, db, cancellationToken);
        if (errors.Any)
            throw ApiException.Invalid(errors);
        var existing = channel.PermissionOverwrites.SingleOrDefault(o => o.TargetId == overwriteId.Value);
        var action = existing is null ? AuditAction.ChannelOverwriteCreate : AuditAction.ChannelOverwriteUpdate;
        if (existing is null)
        {
            existing = new PermissionOverwrite { ChannelId = channel.Id, TargetId = overwriteId };
            channel.PermissionOverwrites.Add(existing);
        }
        var changes = new AuditChanges().Add("allow", (P)existing.Allow, body.Allow ?? 0).Add("deny", (P)existing.Deny, body.Deny ?? 0).List;
        existing.Type = (OverwriteType)body.Type!.Value;
        existing.Allow = (long)(body.Allow ?? 0);
        existing.Deny = (long)(body.Deny ?? 0);
        audit.Record(member.Guild.Id, me.Id, action, channel.Id, changes,
            new Dictionary<string, string> { ["id"] = overwriteId.ToString(), ["type"] = body.Type.Value.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.ChannelUpdate(ChannelObject.From(channel)));
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Delete(
        Snowflake channelId, Snowflake overwriteId, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var (channel, member, permissions) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ManageRoles) == 0)
            throw ApiException.MissingPermissions();
        var existing = channel.PermissionOverwrites.SingleOrDefault(o => o.TargetId == overwriteId.Value);
        if (existing is not null)
        {
            channel.PermissionOverwrites.Remove(existing);
            audit.Record(member.Guild.Id, me.Id, AuditAction.ChannelOverwriteDelete, channel.Id, null,
                new Dictionary<string, string> { ["id"] = overwriteId.ToString() });
            await db.SaveChangesAsync(cancellationToken);
            events.Publish(GuildEvents.ChannelUpdate(ChannelObject.From(channel)));
        }
        return TypedResults.NoContent();
    }
}
