using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Users;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Members;

public sealed record ModifyMemberRequest(
    Optional<string?> Nick,
    Optional<IReadOnlyList<Snowflake>?> Roles,
    Optional<bool?> Mute,
    Optional<bool?> Deaf,
    Optional<DateTimeOffset?> CommunicationDisabledUntil,
    Optional<Snowflake?> ChannelId);

public sealed record ModifyMyMemberRequest(Optional<string?> Nick);

public static class MemberEndpoints
{
    /// <summary>Discord's longest timeout.</summary>
    public static readonly TimeSpan MaxTimeout = TimeSpan.FromDays(28);

    public static async Task<Ok<List<MemberObject>>> List(
        Snowflake guildId, int? limit, Snowflake? after, CurrentUser me, GuildAccess access, TogetherDb db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        await access.MemberAsync(guildId, me.Id, cancellationToken);
        var take = limit ?? 1;
        if (take is < 1 or > 1000)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 1000.");
        var afterId = after?.Value ?? 0;
        var members = await db.GuildMembers.AsNoTracking().Include(m => m.User).Include(m => m.Roles)
            .Where(m => m.GuildId == guildId.Value && m.UserId > afterId)
            .OrderBy(m => m.UserId).Take(take).ToListAsync(cancellationToken);
        return TypedResults.Ok(members.Select(m => MemberObject.From(m, time)).ToList());
    }

    public static async Task<Ok<MemberObject>> Get(
        Snowflake guildId, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db, TimeProvider time, CancellationToken cancellationToken)
    {
        await access.MemberAsync(guildId, me.Id, cancellationToken);
        return TypedResults.Ok(MemberObject.From(await LoadAsync(db, guildId, userId, cancellationToken), time));
    }

    /// <summary>
    /// Nick (MANAGE_NICKNAMES), roles (MANAGE_ROLES, each role below the caller's highest),
    /// server mute and deafen (MUTE_MEMBERS, DEAFEN_MEMBERS) and timeouts (MODERATE_MEMBERS).
    /// Acting on someone else needs a higher role than theirs.
    /// </summary>
    public static async Task<Ok<MemberObject>> Modify(
        Snowflake guildId, Snowflake userId, ModifyMemberRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, Voice.VoiceStateService voice, SessionRegistry sessions, TimeProvider time,
        CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var member = await access.MemberAsync(guildId, me.Id, cancellationToken);
        var target = userId.Value == me.Id.Value ? member : await access.OtherMemberAsync(member, userId, cancellationToken);
        var self = target == member;
        var now = time.GetUtcNow();
        // Permission first, then the values: a caller without the right learns nothing from validation.
        if (body.Nick.HasValue)
        {
            member.Require(self ? P.ChangeNickname : P.ManageNicknames);
            if (!self && !member.Outranks(target))
                throw ApiException.MissingPermissions();
        }
        if (body.Roles.HasValue)
            member.Require(P.ManageRoles);
        if (body.Mute.HasValue)
            member.Require(P.MuteMembers);
        if (body.Deaf.HasValue)
            member.Require(P.DeafenMembers);
        if (body.ChannelId.HasValue)
        {
            member.Require(P.MoveMembers);
            if (!self && !member.Outranks(target))
                throw ApiException.MissingPermissions();
        }
        // Nobody times out themselves, the owner, an administrator or someone of equal rank.
        if (body.CommunicationDisabledUntil.HasValue
            && (!member.Has(P.ModerateMembers) || self || !member.Outranks(target) || target.Has(P.Administrator)))
            throw ApiException.MissingPermissions();
        var errors = new FormErrors();
        if (body.Nick is { HasValue: true, Value: { } requestedNick } && requestedNick.Trim().Length > 32)
            errors.Length("nick", 0, 32);
        if (body.CommunicationDisabledUntil is { HasValue: true, Value: { } requestedUntil } && requestedUntil > now + MaxTimeout)
            errors.Add("communication_disabled_until", "COMMUNICATION_DISABLED_TOO_LONG", "Timeouts can last at most 28 days.");
        if (body.Roles is { HasValue: true, Value: { } roles })
            foreach (var roleId in roles.Where(r => !member.Roles.ContainsKey(r) || r.Value == guildId.Value))
                errors.Add("roles", "ROLE_INVALID", $"Unknown role {roleId}.");
        if (errors.Any)
            throw ApiException.Invalid(errors);

        var changes = new AuditChanges();
        if (body.Nick.HasValue)
        {
            var nick = string.IsNullOrWhiteSpace(body.Nick.Value) ? null : body.Nick.Value.Trim();
            changes.Add("nick", target.Member.Nick, nick);
            target.Member.Nick = nick;
        }
        if (body.Roles is { HasValue: true } rolesChange)
        {
            var wanted = (rolesChange.Value ?? []).Select(r => r.Value).ToHashSet();
            var added = wanted.Except(target.RoleIds).ToList();
            var removed = target.RoleIds.Except(wanted).ToList();
            if (added.Concat(removed).Any(r => !member.Outranks(member.Roles[r].Position) || member.Roles[r].Managed))
                throw ApiException.MissingPermissions();
            foreach (var roleId in added)
                target.Member.Roles.Add(new MemberRole { GuildId = guildId, UserId = userId, RoleId = roleId });
            foreach (var assignment in target.Member.Roles.Where(r => removed.Contains(r.RoleId)).ToList())
                target.Member.Roles.Remove(assignment);
            List<AuditChange> roleChanges = [];
            if (added.Count > 0)
                roleChanges.Add(AuditChange.Roles("$add", added.Select(id => member.Roles[id])));
            if (removed.Count > 0)
                roleChanges.Add(AuditChange.Roles("$remove", removed.Select(id => member.Roles[id])));
            if (roleChanges.Count > 0)
                audit.Record(guildId, me.Id, AuditAction.MemberRoleUpdate, userId, roleChanges);
        }
        if (body.Mute is { HasValue: true, Value: { } mute })
        {
            changes.Add("mute", target.Member.Mute, mute);
            target.Member.Mute = mute;
        }
        if (body.Deaf is { HasValue: true, Value: { } deaf })
        {
            changes.Add("deaf", target.Member.Deaf, deaf);
            target.Member.Deaf = deaf;
        }
        if (body.CommunicationDisabledUntil.HasValue)
        {
            var until = body.CommunicationDisabledUntil.Value is { } u && u > now ? u.ToUniversalTime() : (DateTimeOffset?)null;
            changes.Add("communication_disabled_until", target.Member.CommunicationDisabledUntil, until);
            target.Member.CommunicationDisabledUntil = until;
        }
        if (changes.List.Count > 0)
            audit.Record(guildId, me.Id, AuditAction.MemberUpdate, userId, changes.List);
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        var updated = MemberObject.From(await LoadAsync(db, guildId, userId, cancellationToken), time);
        events.Publish(GuildEvents.MemberUpdate(guildId, updated));
        if (body.Mute.HasValue || body.Deaf.HasValue || body.CommunicationDisabledUntil.HasValue || body.Roles.HasValue)
            await voice.RefreshAsync(guildId, userId, cancellationToken);
        if (body.ChannelId.HasValue)
        {
            // Moving someone needs CONNECT in the target channel for the mover too, as on Discord.
            if (body.ChannelId.Value is { } destination)
            {
                var (channel, _, permissions) = await access.ChannelAsync(destination, me.Id, cancellationToken);
                if ((permissions & P.Connect) == 0 || channel.Type != Together.Data.Entities.ChannelType.GuildVoice)
                    throw ApiException.MissingPermissions();
            }
            if (!await voice.MoveAsync(sessions, guildId, userId, body.ChannelId.Value?.Value, cancellationToken))
                throw ApiException.BadRequest(40032, "Target user is not connected to voice.");
        }
        return TypedResults.Ok(updated);
    }

    public static async Task<Ok<MemberObject>> ModifyMe(
        Snowflake guildId, ModifyMyMemberRequest body, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, Voice.VoiceStateService voice, SessionRegistry sessions, TimeProvider time, CancellationToken cancellationToken) =>
        await Modify(guildId, me.Id, new ModifyMemberRequest(body.Nick, default, default, default, default, default), me, access, db, audit, events, voice, sessions, time, cancellationToken);

    /// <summary>Kick: KICK_MEMBERS and a higher role than the member's; never the owner.</summary>
    public static async Task<NoContent> Kick(
        Snowflake guildId, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit, IEventBus events,
        Voice.VoiceStateService voice, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.KickMembers);
        var target = await access.OtherMemberAsync(member, userId, cancellationToken);
        if (target == member || !member.Outranks(target))
            throw ApiException.MissingPermissions();
        db.GuildMembers.Remove(target.Member);
        audit.Record(guildId, me.Id, AuditAction.MemberKick, userId);
        await db.SaveChangesAsync(cancellationToken);
        await voice.LeaveGuildAsync(db, guildId, userId, cancellationToken);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId.Value, cancellationToken);
        foreach (var gone in GuildEvents.MemberGone(guildId, UserObject.From(user)))
            events.Publish(gone);
        return TypedResults.NoContent();
    }

    internal static async Task<GuildMember> LoadAsync(TogetherDb db, long guildId, long userId, CancellationToken cancellationToken) =>
        await db.GuildMembers.AsNoTracking().Include(m => m.User).Include(m => m.Roles)
            .SingleOrDefaultAsync(m => m.GuildId == guildId && m.UserId == userId, cancellationToken)
        ?? throw ApiException.NotFound(ApiErrors.UnknownMember, "Unknown Member");
}
