using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Roles;

public sealed record RoleRequest(
    Optional<string?> Name,
    Optional<P?> Permissions,
    Optional<int?> Color,
    Optional<bool?> Hoist,
    Optional<bool?> Mentionable,
    Optional<string?> UnicodeEmoji);

public sealed record RolePosition(Snowflake Id, int? Position);

/// <summary>
/// Roles, with Discord's hierarchy: nobody manages a role at or above their own highest role
/// (the owner excepted), and nobody grants a permission they do not hold.
/// </summary>
public static class RoleEndpoints
{
    public const int MaxRoles = 250;

    public static async Task<Ok<List<RoleObject>>> List(Snowflake guildId, CurrentUser me, GuildAccess access, CancellationToken cancellationToken)
    {
        var member = await access.MemberAsync(guildId, me.Id, cancellationToken);
        return TypedResults.Ok(RoleObject.Ordered(member.Roles.Values).Select(RoleObject.From).ToList());
    }

    public static async Task<Ok<RoleObject>> Create(
        Snowflake guildId, RoleRequest body, CurrentUser me, GuildAccess access, TogetherDb db, SnowflakeGenerator ids,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageRoles);
        Check(body, member, new FormErrors(), isEveryone: false, current: P.None);
        if (member.Roles.Count >= MaxRoles)
            throw ApiException.BadRequest(ApiErrors.MaximumRoles, $"Maximum number of server roles reached ({MaxRoles})");
        // New roles go to the bottom, just above @everyone, pushing the others up.
        foreach (var other in member.Roles.Values.Where(r => r.Id != guildId.Value))
            other.Position++;
        var role = new Role
        {
            Id = ids.Next(),
            GuildId = guildId,
            Name = body.Name.GetValueOrDefault(null)?.Trim() ?? "new role",
            Permissions = (long)(body.Permissions.GetValueOrDefault(null) ?? (P)member.Roles[guildId].Permissions),
            Color = body.Color.GetValueOrDefault(null) ?? 0,
            Hoist = body.Hoist.GetValueOrDefault(null) ?? false,
            Mentionable = body.Mentionable.GetValueOrDefault(null) ?? false,
            UnicodeEmoji = body.UnicodeEmoji.GetValueOrDefault(null),
            Position = 1,
        };
        db.Roles.Add(role);
        audit.Record(guildId, me.Id, AuditAction.RoleCreate, role.Id, AuditFields(role, created: true));
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.RoleCreate(guildId, RoleObject.From(role)));
        foreach (var moved in member.Roles.Values.Where(r => r.Id != guildId.Value && r.Id != role.Id))
            events.Publish(GuildEvents.RoleUpdate(guildId, RoleObject.From(moved)));
        return TypedResults.Ok(RoleObject.From(role));
    }

    public static async Task<Ok<RoleObject>> Modify(
        Snowflake guildId, Snowflake roleId, RoleRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageRoles);
        var role = Manageable(member, roleId);
        var isEveryone = role.Id == guildId.Value;
        Check(body, member, new FormErrors(), isEveryone, (P)role.Permissions);
        var changes = new AuditChanges();
        if (body.Name is { HasValue: true, Value: { } name } && !isEveryone)
        {
            changes.Add("name", role.Name, name.Trim());
            role.Name = name.Trim();
        }
        if (body.Permissions is { HasValue: true, Value: { } permissions })
        {
            changes.Add("permissions", (P)role.Permissions, permissions);
            role.Permissions = (long)permissions;
        }
        if (body.Color is { HasValue: true, Value: { } color })
        {
            changes.Add("color", role.Color, color);
            role.Color = color;
        }
        if (body.Hoist is { HasValue: true, Value: { } hoist })
        {
            changes.Add("hoist", role.Hoist, hoist);
            role.Hoist = hoist;
        }
        if (body.Mentionable is { HasValue: true, Value: { } mentionable })
        {
            changes.Add("mentionable", role.Mentionable, mentionable);
            role.Mentionable = mentionable;
        }
        if (body.UnicodeEmoji.HasValue)
            role.UnicodeEmoji = body.UnicodeEmoji.Value;
        if (changes.List.Count > 0)
            audit.Record(guildId, me.Id, AuditAction.RoleUpdate, role.Id, changes.List);
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.RoleUpdate(guildId, RoleObject.From(role)));
        return TypedResults.Ok(RoleObject.From(role));
    }

    public static async Task<NoContent> Delete(
        Snowflake guildId, Snowflake roleId, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageRoles);
        var role = Manageable(member, roleId);
        if (role.Id == guildId.Value)
            throw ApiException.BadRequest(ApiErrors.InvalidRole, "Invalid Role");
        // Its overwrites go with it; assignments cascade in the database.
        await db.PermissionOverwrites.Where(o => o.TargetId == role.Id && o.Type == OverwriteType.Role)
            .ExecuteDeleteAsync(cancellationToken);
        db.Roles.Remove(role);
        foreach (var other in member.Roles.Values.Where(r => r.Position > role.Position))
            other.Position--;
        audit.Record(guildId, me.Id, AuditAction.RoleDelete, role.Id, AuditFields(role, created: false));
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.RoleDelete(guildId, role.Id));
        return TypedResults.NoContent();
    }

    /// <summary>
    /// Moves roles. Only roles below the caller's highest can move, and only to places below it;
    /// positions are then renumbered 1..n so they stay unique.
    /// </summary>
    public static async Task<Ok<List<RoleObject>>> Reorder(
        Snowflake guildId, List<RolePosition> body, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageRoles);
        var errors = new FormErrors();
        for (var i = 0; i < body.Count; i++)
        {
            if (!member.Roles.TryGetValue(body[i].Id, out var role) || role.Id == guildId.Value)
                errors.Add($"{i}.id", "ROLE_INVALID", "Unknown role of this server.");
            else if (!member.Outranks(role.Position) || body[i].Position is { } p && !member.Outranks(p))
                throw ApiException.MissingPermissions();
        }
        if (errors.Any)
            throw ApiException.Invalid(errors);
        var requested = body.Where(b => b.Position is not null).ToDictionary(b => b.Id.Value, b => b.Position!.Value);
        // Moved roles take their requested place; ties go to the moved role, then the lower id.
        var order = member.Roles.Values.Where(r => r.Id != guildId.Value)
            .OrderBy(r => requested.TryGetValue(r.Id, out var p) ? p : r.Position)
            .ThenBy(r => requested.ContainsKey(r.Id) ? 0 : 1)
            .ThenBy(r => r.Id)
            .ToList();
        // One entry per role the caller moved; the others only shift to keep positions unique.
        for (var i = 0; i < order.Count; i++)
        {
            if (requested.ContainsKey(order[i].Id) && order[i].Position != i + 1)
                audit.Record(guildId, me.Id, AuditAction.RoleUpdate, order[i].Id, new AuditChanges().Add("position", order[i].Position, i + 1).List);
            order[i].Position = i + 1;
        }
        await db.SaveChangesAsync(cancellationToken);
        foreach (var role in order)
            events.Publish(GuildEvents.RoleUpdate(guildId, RoleObject.From(role)));
        return TypedResults.Ok(RoleObject.Ordered(member.Roles.Values).Select(RoleObject.From).ToList());
    }

    public static async Task<NoContent> AddToMember(
        Snowflake guildId, Snowflake userId, Snowflake roleId, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, TimeProvider time, CancellationToken cancellationToken)
    {
        var (member, target, role) = await AssignmentAsync(guildId, userId, roleId, me, access, cancellationToken);
        if (!target.RoleIds.Contains(role.Id))
        {
            db.MemberRoles.Add(new MemberRole { GuildId = guildId, UserId = userId, RoleId = role.Id });
            audit.Record(guildId, member.UserId, AuditAction.MemberRoleUpdate, userId,
                [AuditChange.Roles("$add", [role])]);
            await db.SaveChangesAsync(cancellationToken);
            await PublishMemberAsync(db, events, guildId, userId, time, cancellationToken);
        }
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> RemoveFromMember(
        Snowflake guildId, Snowflake userId, Snowflake roleId, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, TimeProvider time, CancellationToken cancellationToken)
    {
        var (member, target, role) = await AssignmentAsync(guildId, userId, roleId, me, access, cancellationToken);
        var assignment = target.Member.Roles.SingleOrDefault(r => r.RoleId == role.Id);
        if (assignment is not null)
        {
            db.MemberRoles.Remove(assignment);
            audit.Record(guildId, member.UserId, AuditAction.MemberRoleUpdate, userId,
                [AuditChange.Roles("$remove", [role])]);
            await db.SaveChangesAsync(cancellationToken);
            await PublishMemberAsync(db, events, guildId, userId, time, cancellationToken);
        }
        return TypedResults.NoContent();
    }

    private static async Task PublishMemberAsync(TogetherDb db, IEventBus events, long guildId, long userId, TimeProvider time, CancellationToken cancellationToken)
    {
        db.ChangeTracker.Clear();
        var updated = await MemberEndpoints.LoadAsync(db, guildId, userId, cancellationToken);
        events.Publish(GuildEvents.MemberUpdate(guildId, MemberObject.From(updated, time)));
    }

    private static async Task<(MemberAccess Member, MemberAccess Target, Role Role)> AssignmentAsync(
        Snowflake guildId, Snowflake userId, Snowflake roleId, CurrentUser me, GuildAccess access, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageRoles);
        var target = await access.OtherMemberAsync(member, userId, cancellationToken);
        var role = Manageable(member, roleId);
        if (role.Id == guildId.Value || role.Managed)
            throw ApiException.BadRequest(ApiErrors.InvalidRole, "Invalid Role");
        return (member, target, role);
    }

    /// <summary>The role, if it exists and sits below the caller's highest role (404 / 403 otherwise).</summary>
    private static Role Manageable(MemberAccess member, Snowflake roleId)
    {
        if (!member.Roles.TryGetValue(roleId, out var role))
            throw ApiException.NotFound(ApiErrors.UnknownRole, "Unknown Role");
        if (role.Id != member.Guild.Id && !member.Outranks(role.Position))
            throw ApiException.MissingPermissions();
        // @everyone sits at 0: anyone with MANAGE_ROLES may edit it, within what they hold.
        return role;
    }

    // Discord's role entries: new values on create, old values on delete.
    private static IReadOnlyList<AuditChange> AuditFields(Role role, bool created)
    {
        var fields = new (string Key, object? Value)[]
        {
            ("name", role.Name), ("permissions", (P)role.Permissions), ("color", role.Color), ("hoist", role.Hoist),
            ("mentionable", role.Mentionable), ("unicode_emoji", role.UnicodeEmoji),
        };
        var changes = new AuditChanges();
        foreach (var (key, value) in fields)
            _ = created ? changes.Created(key, value) : changes.Deleted(key, value);
        return changes.List;
    }

    private static void Check(RoleRequest body, MemberAccess member, FormErrors errors, bool isEveryone, P current)
    {
        if (body.Name is { HasValue: true, Value: var name } && !isEveryone)
        {
            if (name is null || name.Trim().Length is < 1 or > 100)
                errors.Length("name", 1, 100);
        }
        if (body.Color is { HasValue: true, Value: { } color } && (color < 0 || color > 0xFFFFFF))
            errors.Add("color", "NUMBER_TYPE_MAX", "Must be between 0 and 16777215.");
        if (body.UnicodeEmoji is { HasValue: true, Value: { Length: > 32 } })
            errors.Length("unicode_emoji", 0, 32);
        if (body.Permissions is { HasValue: true, Value: { } permissions } && (permissions & ~PermissionSets.All) != 0)
            errors.Add("permissions", "PERMISSIONS_INVALID", "Unknown permission bits.");
        if (errors.Any)
            throw ApiException.Invalid(errors);
        // Granting means adding bits; bits the role already has may stay even if the caller lacks them.
        if (body.Permissions is { HasValue: true, Value: { } wanted } && (wanted & ~current & ~member.Permissions) != 0)
            throw ApiException.MissingPermissions();
    }
}
