using System.Globalization;
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

    /// <summary>The channel's overwrites as they are now, to compare with after a change.</summary>
    public static IReadOnlyList<PermissionOverwrite> Snapshot(Channel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        return channel.PermissionOverwrites
            .Select(o => new PermissionOverwrite { TargetId = o.TargetId, Type = o.Type, Allow = o.Allow, Deny = o.Deny }).ToList();
    }

    /// <summary>
    /// One audit entry per overwrite that appeared (13), changed (14) or went away (15) since
    /// <paramref name="before"/>, as Discord records them; <c>options</c> name the overwrite.
    /// </summary>
    public static void RecordChanges(AuditLogWriter audit, MemberAccess member, long actorId, Channel channel,
        IReadOnlyList<PermissionOverwrite> before)
    {
        ArgumentNullException.ThrowIfNull(audit);
        ArgumentNullException.ThrowIfNull(member);
        ArgumentNullException.ThrowIfNull(channel);
        ArgumentNullException.ThrowIfNull(before);
        var after = channel.PermissionOverwrites.ToDictionary(o => o.TargetId);
        var old = before.ToDictionary(o => o.TargetId);
        foreach (var gone in before.Where(o => !after.ContainsKey(o.TargetId)))
            audit.Record(member.Guild.Id, actorId, AuditAction.ChannelOverwriteDelete, channel.Id,
                new AuditChanges().Deleted("id", gone.TargetId).Deleted("type", (int)gone.Type).Deleted("allow", (P)gone.Allow).Deleted("deny", (P)gone.Deny).List,
                Options(member, gone));
        foreach (var now in after.Values)
        {
            if (!old.TryGetValue(now.TargetId, out var was))
                audit.Record(member.Guild.Id, actorId, AuditAction.ChannelOverwriteCreate, channel.Id,
                    new AuditChanges().Created("id", now.TargetId).Created("type", (int)now.Type).Created("allow", (P)now.Allow).Created("deny", (P)now.Deny).List,
                    Options(member, now));
            else if (was.Allow != now.Allow || was.Deny != now.Deny)
                audit.Record(member.Guild.Id, actorId, AuditAction.ChannelOverwriteUpdate, channel.Id,
                    new AuditChanges().Add("allow", (P)was.Allow, (P)now.Allow).Add("deny", (P)was.Deny, (P)now.Deny).List,
                    Options(member, now));
        }
    }

    // Discord's options for overwrite entries: the id, the type as a string, and the role's name.
    private static Dictionary<string, string> Options(MemberAccess member, PermissionOverwrite overwrite)
    {
        var options = new Dictionary<string, string>
        {
            ["id"] = overwrite.TargetId.ToString(CultureInfo.InvariantCulture),
            ["type"] = ((int)overwrite.Type).ToString(CultureInfo.InvariantCulture),
        };
        if (overwrite.Type == OverwriteType.Role && member.Roles.TryGetValue(overwrite.TargetId, out var role))
            options["role_name"] = role.Name;
        return options;
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
        var before = Snapshot(channel);
        var existing = channel.PermissionOverwrites.SingleOrDefault(o => o.TargetId == overwriteId.Value);
        if (existing is null)
        {
            existing = new PermissionOverwrite { ChannelId = channel.Id, TargetId = overwriteId };
            channel.PermissionOverwrites.Add(existing);
        }
        existing.Type = (OverwriteType)body.Type!.Value;
        existing.Allow = (long)(body.Allow ?? 0);
        existing.Deny = (long)(body.Deny ?? 0);
        RecordChanges(audit, member, me.Id, channel, before);
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
            var before = Snapshot(channel);
            channel.PermissionOverwrites.Remove(existing);
            RecordChanges(audit, member, me.Id, channel, before);
            await db.SaveChangesAsync(cancellationToken);
            events.Publish(GuildEvents.ChannelUpdate(ChannelObject.From(channel)));
        }
        return TypedResults.NoContent();
    }
}
