using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Channels;
using Together.Server.Features.Files;
using Together.Server.Features.Gateway;
using Together.Server.Features.Users;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Guilds;

public sealed record CreateGuildRequest(string? Name, string? Description, string? Icon);

public static class CreateGuild
{
    public const int MaxGuildsPerUser = 100;

    /// <summary>
    /// The creator owns the guild. As on Discord: an @everyone role whose id is the guild's id,
    /// a "Text Channels" category with #general and a "Voice Channels" category with General.
    /// </summary>
    public static async Task<Created<GuildObject>> Handle(
        CreateGuildRequest body, CurrentUser me, TogetherDb db, SnowflakeGenerator ids, TimeProvider time, ReadyBuilder gateway,
        IEventBus events, Avatars avatars, CancellationToken cancellationToken)
    {
        var errors = new FormErrors();
        GuildRules.CheckName(body.Name, errors, required: true);
        GuildRules.CheckDescription(body.Description, errors);
        if (errors.Any)
            throw ApiException.Invalid(errors);
        var icon = body.Icon is null ? null : await avatars.SaveAsync(body.Icon, "icon", cancellationToken);
        if (await db.GuildMembers.CountAsync(m => m.UserId == me.Id.Value, cancellationToken) >= MaxGuildsPerUser)
            throw ApiException.BadRequest(ApiErrors.MaximumGuilds, $"Maximum number of guilds reached ({MaxGuildsPerUser})");

        var now = time.GetUtcNow();
        var guild = new Guild { Id = ids.Next(), Name = body.Name!.Trim(), Description = body.Description?.Trim(), OwnerId = me.Id, CreatedAt = now, IconHash = icon };
        var everyone = new Role { Id = guild.Id, GuildId = guild.Id, Name = "@everyone", Position = 0, Permissions = (long)PermissionSets.DefaultEveryone };
        var textCategory = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildCategory, Name = "Text Channels", Position = 0 };
        var voiceCategory = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildCategory, Name = "Voice Channels", Position = 1 };
        var general = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildText, Name = "general", Position = 0, ParentId = textCategory.Id };
        var generalVoice = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildVoice, Name = "General", Position = 0, ParentId = voiceCategory.Id, Bitrate = ChannelRules.DefaultBitrate, UserLimit = 0 };
        guild.SystemChannelId = general.Id;
        db.Guilds.Add(guild);
        db.Roles.Add(everyone);
        db.Channels.AddRange(textCategory, voiceCategory, general, generalVoice);
        db.GuildMembers.Add(new GuildMember { GuildId = guild.Id, UserId = me.Id, JoinedAt = now });
        await db.SaveChangesAsync(cancellationToken);
        if (await gateway.JoinedAsync(guild.Id, me.Id, cancellationToken) is { } joined)
            events.Publish(joined);
        return TypedResults.Created($"/api/v10/guilds/{guild.Id}", GuildObject.From(guild, [everyone]));
    }
}

public static class GetGuild
{
    public static async Task<Ok<GuildObject>> Handle(
        Snowflake guildId, [FromQuery(Name = "with_counts")] bool? withCounts, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken cancellationToken)
    {
        var member = await access.MemberAsync(guildId, me.Id, cancellationToken);
        int? count = withCounts == true ? await db.GuildMembers.CountAsync(m => m.GuildId == guildId.Value, cancellationToken) : null;
        return TypedResults.Ok(GuildObject.From(member.Guild, member.Roles.Values, count));
    }
}

public sealed record ModifyGuildRequest(
    Optional<string?> Name,
    Optional<string?> Description,
    Optional<Snowflake?> SystemChannelId,
    Optional<Snowflake?> AfkChannelId,
    Optional<int?> AfkTimeout,
    Optional<int?> VerificationLevel,
    Optional<int?> DefaultMessageNotifications,
    Optional<int?> ExplicitContentFilter,
    Optional<string?> PreferredLocale,
    Optional<Snowflake?> OwnerId,
    Optional<string?> Icon);

public static class ModifyGuild
{
    private static readonly int[] AfkTimeouts = [60, 300, 900, 1800, 3600];

    public static async Task<Ok<GuildObject>> Handle(
        Snowflake guildId, ModifyGuildRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, Avatars avatars, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(Permissions.Permissions.ManageGuild);
        var guild = member.Guild;
        var errors = new FormErrors();
        if (body.Name.HasValue)
            GuildRules.CheckName(body.Name.Value, errors, required: true);
        if (body.Description.HasValue)
            GuildRules.CheckDescription(body.Description.Value, errors);
        if (body.AfkTimeout is { HasValue: true, Value: { } afk } && !AfkTimeouts.Contains(afk))
            errors.Add("afk_timeout", "BASE_TYPE_CHOICES", "Value must be one of 60, 300, 900, 1800, 3600.");
        ChannelRules.CheckRange("verification_level", body.VerificationLevel.GetValueOrDefault(null), 0, 4, errors);
        ChannelRules.CheckRange("default_message_notifications", body.DefaultMessageNotifications.GetValueOrDefault(null), 0, 1, errors);
        ChannelRules.CheckRange("explicit_content_filter", body.ExplicitContentFilter.GetValueOrDefault(null), 0, 2, errors);
        if (body.PreferredLocale is { HasValue: true, Value: { Length: > 16 } })
            errors.Length("preferred_locale", 2, 16);
        if (body.SystemChannelId is { HasValue: true, Value: { } system }
            && !await db.Channels.AnyAsync(c => c.Id == system.Value && c.GuildId == guild.Id && c.Type == ChannelType.GuildText, cancellationToken))
            errors.Add("system_channel_id", "CHANNEL_INVALID", "Must be a text channel of this server.");
        if (body.AfkChannelId is { HasValue: true, Value: { } afkChannel }
            && !await db.Channels.AnyAsync(c => c.Id == afkChannel.Value && c.GuildId == guild.Id && c.Type == ChannelType.GuildVoice, cancellationToken))
            errors.Add("afk_channel_id", "CHANNEL_INVALID", "Must be a voice channel of this server.");
        if (body.OwnerId is { HasValue: true } owner)
        {
            if (!member.IsOwner)
                throw ApiException.MissingPermissions();
            if (owner.Value is not { } newOwner || !await db.GuildMembers.AnyAsync(m => m.GuildId == guild.Id && m.UserId == newOwner.Value, cancellationToken))
                errors.Add("owner_id", "GUILD_OWNER_INVALID", "The new owner must be a member of this server.");
        }
        if (errors.Any)
            throw ApiException.Invalid(errors);

        var changes = new AuditChanges();
        if (body.Name.HasValue)
        {
            changes.Add("name", guild.Name, body.Name.Value!.Trim());
            guild.Name = body.Name.Value!.Trim();
        }
        if (body.Description.HasValue)
        {
            changes.Add("description", guild.Description, body.Description.Value?.Trim());
            guild.Description = body.Description.Value?.Trim();
        }
        if (body.Icon.HasValue)
        {
            var icon = body.Icon.Value is null ? null : await avatars.SaveAsync(body.Icon.Value, "icon", cancellationToken);
            changes.Add("icon_hash", guild.IconHash, icon);
            guild.IconHash = icon;
        }
        if (body.SystemChannelId.HasValue)
        {
            changes.Add("system_channel_id", guild.SystemChannelId, body.SystemChannelId.Value?.Value);
            guild.SystemChannelId = body.SystemChannelId.Value?.Value;
        }
        if (body.AfkChannelId.HasValue)
        {
            changes.Add("afk_channel_id", guild.AfkChannelId, body.AfkChannelId.Value?.Value);
            guild.AfkChannelId = body.AfkChannelId.Value?.Value;
        }
        if (body.AfkTimeout is { HasValue: true, Value: { } timeout })
        {
            changes.Add("afk_timeout", guild.AfkTimeout, timeout);
            guild.AfkTimeout = timeout;
        }
        if (body.VerificationLevel is { HasValue: true, Value: { } verification })
        {
            changes.Add("verification_level", guild.VerificationLevel, verification);
            guild.VerificationLevel = verification;
        }
        if (body.DefaultMessageNotifications is { HasValue: true, Value: { } notifications })
        {
            changes.Add("default_message_notifications", guild.DefaultMessageNotifications, notifications);
            guild.DefaultMessageNotifications = notifications;
        }
        if (body.ExplicitContentFilter is { HasValue: true, Value: { } filter })
        {
            changes.Add("explicit_content_filter", guild.ExplicitContentFilter, filter);
            guild.ExplicitContentFilter = filter;
        }
        if (body.PreferredLocale.HasValue)
            guild.PreferredLocale = body.PreferredLocale.Value;
        if (body.OwnerId is { HasValue: true, Value: { } ownerId })
        {
            changes.Add("owner_id", guild.OwnerId, ownerId.Value);
            guild.OwnerId = ownerId;
        }
        if (changes.List.Count > 0)
            audit.Record(guild.Id, me.Id, AuditAction.GuildUpdate, guild.Id, changes.List);
        await db.SaveChangesAsync(cancellationToken);
        var updated = GuildObject.From(guild, member.Roles.Values);
        events.Publish(GuildEvents.GuildUpdate(updated, ownerChanged: body.OwnerId.HasValue));
        return TypedResults.Ok(updated);
    }
}

public static class DeleteGuild
{
    /// <summary>Owner only; the database cascades to channels, messages, roles, members and invites.</summary>
    public static async Task<NoContent> Handle(Snowflake guildId, CurrentUser me, GuildAccess access, TogetherDb db, IEventBus events,
        FileJanitor files, CancellationToken cancellationToken)
    {
        var member = await access.MemberAsync(guildId, me.Id, cancellationToken);
        if (!member.IsOwner)
            throw ApiException.MissingPermissions();
        var memberIds = await db.GuildMembers.Where(m => m.GuildId == guildId.Value).Select(m => m.UserId).ToListAsync(cancellationToken);
        var blobs = await FileJanitor.KeysAsync(db.Attachments.Where(a => db.Channels.Any(c => c.Id == a.ChannelId && c.GuildId == guildId.Value)), cancellationToken);
        db.Guilds.Remove(member.Guild);
        await db.SaveChangesAsync(cancellationToken);
        files.Consider(blobs);
        events.Publish(GuildEvents.GuildDelete(guildId, memberIds));
        return TypedResults.NoContent();
    }
}

public static class ListMyGuilds
{
    public static async Task<Ok<List<PartialGuildObject>>> Handle(
        Snowflake? before, Snowflake? after, int? limit, [FromQuery(Name = "with_counts")] bool? withCounts, CurrentUser me, TogetherDb db, TimeProvider time,
        CancellationToken cancellationToken)
    {
        var take = limit ?? 200;
        if (take is < 1 or > 200)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 200.");
        var query = db.GuildMembers.AsNoTracking().Where(m => m.UserId == me.Id.Value);
        if (before is { } b)
            query = query.Where(m => m.GuildId < b.Value);
        if (after is { } a)
            query = query.Where(m => m.GuildId > a.Value);
        var memberships = await query.OrderBy(m => m.GuildId).Take(take)
            .Select(m => new
            {
                m.Guild!.Id,
                m.Guild.Name,
                m.Guild.IconHash,
                m.Guild.OwnerId,
                m.CommunicationDisabledUntil,
                RoleIds = m.Roles.Select(r => r.RoleId).ToList(),
            })
            .ToListAsync(cancellationToken);
        var guildIds = memberships.Select(m => m.Id).ToList();
        var rolePermissions = await db.Roles.AsNoTracking().Where(r => guildIds.Contains(r.GuildId))
            .Select(r => new { r.Id, r.GuildId, r.Permissions })
            .ToDictionaryAsync(r => r.Id, r => (Permissions.Permissions)r.Permissions, cancellationToken);
        var counts = withCounts == true
            ? await db.GuildMembers.Where(m => guildIds.Contains(m.GuildId)).GroupBy(m => m.GuildId)
                .Select(g => new { g.Key, Count = g.Count() }).ToDictionaryAsync(g => g.Key, g => g.Count, cancellationToken)
            : null;
        var now = time.GetUtcNow();
        return TypedResults.Ok(memberships.Select(m => new PartialGuildObject(
            m.Id, m.Name, m.IconHash, null, m.OwnerId == me.Id.Value,
            PermissionCalculator.ForGuild(
                m.OwnerId == me.Id.Value,
                rolePermissions.GetValueOrDefault(m.Id),
                m.RoleIds.Where(rolePermissions.ContainsKey).Select(id => rolePermissions[id]),
                m.CommunicationDisabledUntil > now),
            [],
            counts?.GetValueOrDefault(m.Id))).ToList());
    }
}

public static class LeaveGuild
{
    public static async Task<NoContent> Handle(Snowflake guildId, CurrentUser me, TogetherDb db, IEventBus events, Voice.VoiceStateService voice,
        CancellationToken cancellationToken)
    {
        var guild = await db.Guilds.AsNoTracking().Where(g => g.Id == guildId.Value).Select(g => new { g.OwnerId }).SingleOrDefaultAsync(cancellationToken);
        var membership = guild is null ? null
            : await db.GuildMembers.SingleOrDefaultAsync(m => m.GuildId == guildId.Value && m.UserId == me.Id.Value, cancellationToken);
        if (guild is null || membership is null)
            throw ApiException.NotFound(ApiErrors.UnknownGuild, "Unknown Guild");
        // The owner has to hand the server over or delete it first.
        if (guild.OwnerId == me.Id.Value)
            throw ApiException.BadRequest(ApiErrors.InvalidGuild, "Invalid Guild");
        db.GuildMembers.Remove(membership);
        await db.SaveChangesAsync(cancellationToken);
        await voice.LeaveGuildAsync(db, guildId, me.Id, cancellationToken);
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == me.Id.Value, cancellationToken);
        foreach (var gone in GuildEvents.MemberGone(guildId, UserObject.From(user)))
            events.Publish(gone);
        return TypedResults.NoContent();
    }
}

public static class GuildRules
{
    public static void CheckName(string? name, FormErrors errors, bool required)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (name is null)
        {
            if (required)
                errors.Required("name");
            return;
        }
        if (name.Trim().Length is < 2 or > 100)
            errors.Length("name", 2, 100);
        else if (name.Any(char.IsControl))
            errors.Add("name", "BASE_TYPE_INVALID", "Must not contain control characters.");
    }

    public static void CheckDescription(string? description, FormErrors errors)
    {
        ArgumentNullException.ThrowIfNull(errors);
        if (description is { Length: > 300 })
            errors.Length("description", 0, 300);
    }
}
