using System.Globalization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Files;
using Together.Server.Features.Gateway;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Channels;

public sealed record OverwriteRequest(Snowflake Id, int Type, P? Allow, P? Deny);

public sealed record CreateChannelRequest(
    string? Name,
    int? Type,
    string? Topic,
    int? Bitrate,
    int? UserLimit,
    int? RateLimitPerUser,
    int? Position,
    IReadOnlyList<OverwriteRequest>? PermissionOverwrites,
    Snowflake? ParentId,
    bool? Nsfw,
    string? RtcRegion);

public static class ListGuildChannels
{
    /// <summary>The channels the caller can see; hidden channels stay hidden, names included.</summary>
    public static async Task<Ok<List<ChannelObject>>> Handle(
        Snowflake guildId, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken cancellationToken)
    {
        var member = await access.MemberAsync(guildId, me.Id, cancellationToken);
        var channels = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites)
            .Where(c => c.GuildId == guildId.Value).ToListAsync(cancellationToken);
        return TypedResults.Ok(channels
            .Where(c => (member.In(c) & P.ViewChannel) != 0)
            .OrderBy(c => c.Type == ChannelType.GuildCategory ? 0 : 1).ThenBy(c => c.Position).ThenBy(c => c.Id)
            .Select(ChannelObject.From).ToList());
    }
}

public static class CreateGuildChannel
{
    public static async Task<Created<ChannelObject>> Handle(
        Snowflake guildId, CreateChannelRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        SnowflakeGenerator ids, AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageChannels);
        var errors = new FormErrors();
        var type = body.Type ?? (int)ChannelType.GuildText;
        if (!ChannelRules.IsSupportedType(type))
            errors.Add("type", "BASE_TYPE_CHOICES", "Value must be one of 0, 2, 4.");
        ChannelRules.CheckName(body.Name, errors, required: true);
        var channelType = (ChannelType)type;
        ChannelFields.Check(channelType, body.Topic, body.Bitrate, body.UserLimit, body.RateLimitPerUser, errors);
        Channel? parent = null;
        if (body.ParentId is { } parentId)
        {
            parent = await db.Channels.Include(c => c.PermissionOverwrites)
                .SingleOrDefaultAsync(c => c.Id == parentId.Value && c.GuildId == guildId.Value, cancellationToken);
            if (parent is null || parent.Type != ChannelType.GuildCategory || channelType == ChannelType.GuildCategory)
                errors.Add("parent_id", "CHANNEL_PARENT_INVALID", "Must be a category of this server.");
        }
        if (errors.Any)
            throw ApiException.Invalid(errors);
        if (await db.Channels.CountAsync(c => c.GuildId == guildId.Value, cancellationToken) >= ChannelRules.MaxChannelsPerGuild)
            throw ApiException.BadRequest(ApiErrors.MaximumChannels, $"Maximum number of guild channels reached ({ChannelRules.MaxChannelsPerGuild})");

        var channel = new Channel
        {
            Id = ids.Next(),
            GuildId = guildId,
            Type = channelType,
            Name = ChannelRules.NormalizeName(body.Name!, channelType),
            Topic = channelType == ChannelType.GuildText ? ChannelRules.NormalizeTopic(body.Topic) : null,
            Nsfw = body.Nsfw ?? false,
            RateLimitPerUser = channelType == ChannelType.GuildText ? body.RateLimitPerUser ?? 0 : 0,
            Bitrate = channelType == ChannelType.GuildVoice ? body.Bitrate ?? ChannelRules.DefaultBitrate : null,
            UserLimit = channelType == ChannelType.GuildVoice ? body.UserLimit ?? 0 : null,
            RtcRegion = channelType == ChannelType.GuildVoice ? body.RtcRegion : null,
            ParentId = parent?.Id,
        };
        channel.Position = body.Position ?? await NextPositionAsync(db, guildId, channel.ParentId, channelType, cancellationToken);
        if (body.PermissionOverwrites is { } overwrites)
            await Overwrites.ReplaceAsync(member, channel, overwrites, member.Permissions, db, cancellationToken);
        else if (parent is not null)
            // A new channel in a category starts synced with it, as on Discord.
            channel.PermissionOverwrites = parent.PermissionOverwrites
                .Select(o => new PermissionOverwrite { TargetId = o.TargetId, Type = o.Type, Allow = o.Allow, Deny = o.Deny }).ToList();
        db.Channels.Add(channel);
        audit.Record(guildId, me.Id, AuditAction.ChannelCreate, channel.Id, ChannelAudit.Fields(channel, created: true).List);
        await db.SaveChangesAsync(cancellationToken);
        var created = ChannelObject.From(channel);
        events.Publish(GuildEvents.ChannelCreate(created));
        return TypedResults.Created($"/api/v10/channels/{channel.Id}", created);
    }

    private static async Task<int> NextPositionAsync(TogetherDb db, long guildId, long? parentId, ChannelType type, CancellationToken cancellationToken)
    {
        var siblings = db.Channels.Where(c => c.GuildId == guildId && c.ParentId == parentId
            && (type == ChannelType.GuildCategory ? c.Type == ChannelType.GuildCategory : c.Type != ChannelType.GuildCategory));
        return await siblings.AnyAsync(cancellationToken) ? await siblings.MaxAsync(c => c.Position, cancellationToken) + 1 : 0;
    }
}

public static class GetChannel
{
    public static async Task<Ok<ChannelObject>> Handle(Snowflake channelId, CurrentUser me, GuildAccess access, CancellationToken cancellationToken)
    {
        var (channel, _, _) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        return TypedResults.Ok(ChannelObject.From(channel));
    }
}

public sealed record ModifyChannelRequest(
    Optional<string?> Name,
    Optional<int?> Position,
    Optional<string?> Topic,
    Optional<bool?> Nsfw,
    Optional<int?> RateLimitPerUser,
    Optional<int?> Bitrate,
    Optional<int?> UserLimit,
    Optional<IReadOnlyList<OverwriteRequest>?> PermissionOverwrites,
    Optional<Snowflake?> ParentId,
    Optional<string?> RtcRegion);

public static class ModifyChannel
{
    public static async Task<Ok<ChannelObject>> Handle(
        Snowflake channelId, ModifyChannelRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var (channel, member, _) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        member.RequireIn(channel, P.ManageChannels);
        var errors = new FormErrors();
        if (body.Name.HasValue)
            ChannelRules.CheckName(body.Name.Value, errors, required: true);
        ChannelFields.Check(channel.Type, body.Topic.GetValueOrDefault(null), body.Bitrate.GetValueOrDefault(null),
            body.UserLimit.GetValueOrDefault(null), body.RateLimitPerUser.GetValueOrDefault(null), errors);
        if (body.ParentId is { HasValue: true, Value: { } parentId }
            && (channel.Type == ChannelType.GuildCategory
                || !await db.Channels.AnyAsync(c => c.Id == parentId.Value && c.GuildId == channel.GuildId && c.Type == ChannelType.GuildCategory, cancellationToken)))
            errors.Add("parent_id", "CHANNEL_PARENT_INVALID", "Must be a category of this server.");
        if (errors.Any)
            throw ApiException.Invalid(errors);

        var changes = new AuditChanges();
        if (body.Name is { HasValue: true, Value: { } name })
        {
            var normalized = ChannelRules.NormalizeName(name, channel.Type);
            changes.Add("name", channel.Name, normalized);
            channel.Name = normalized;
        }
        if (body.Position is { HasValue: true, Value: { } position })
        {
            changes.Add("position", channel.Position, position);
            channel.Position = position;
        }
        if (body.Topic.HasValue && channel.Type == ChannelType.GuildText)
        {
            var topic = ChannelRules.NormalizeTopic(body.Topic.Value);
            changes.Add("topic", channel.Topic, topic);
            channel.Topic = topic;
        }
        if (body.Nsfw is { HasValue: true, Value: { } nsfw })
        {
            changes.Add("nsfw", channel.Nsfw, nsfw);
            channel.Nsfw = nsfw;
        }
        if (body.RateLimitPerUser is { HasValue: true, Value: { } slowmode } && channel.Type == ChannelType.GuildText)
        {
            changes.Add("rate_limit_per_user", channel.RateLimitPerUser, slowmode);
            channel.RateLimitPerUser = slowmode;
        }
        if (body.Bitrate is { HasValue: true, Value: { } bitrate } && channel.Type == ChannelType.GuildVoice)
        {
            changes.Add("bitrate", channel.Bitrate, bitrate);
            channel.Bitrate = bitrate;
        }
        if (body.UserLimit is { HasValue: true, Value: { } userLimit } && channel.Type == ChannelType.GuildVoice)
        {
            changes.Add("user_limit", channel.UserLimit, userLimit);
            channel.UserLimit = userLimit;
        }
        if (body.RtcRegion.HasValue && channel.Type == ChannelType.GuildVoice)
        {
            changes.Add("rtc_region", channel.RtcRegion, body.RtcRegion.Value);
            channel.RtcRegion = body.RtcRegion.Value;
        }
        if (body.ParentId.HasValue)
        {
            changes.Add("parent_id", channel.ParentId, body.ParentId.Value?.Value);
            channel.ParentId = body.ParentId.Value?.Value;
        }
        if (body.PermissionOverwrites is { HasValue: true, Value: { } overwrites })
        {
            var before = Overwrites.Snapshot(channel);
            await Overwrites.ReplaceAsync(member, channel, overwrites, member.In(channel), db, cancellationToken);
            Overwrites.RecordChanges(audit, member, me.Id, channel, before);
        }
        if (changes.List.Count > 0)
            audit.Record(member.Guild.Id, me.Id, AuditAction.ChannelUpdate, channel.Id, changes.List);
        await db.SaveChangesAsync(cancellationToken);
        var updated = ChannelObject.From(channel);
        events.Publish(GuildEvents.ChannelUpdate(updated));
        return TypedResults.Ok(updated);
    }
}

public static class DeleteChannel
{
    /// <summary>Returns the deleted channel, as Discord does. Children of a deleted category move to the top level.</summary>
    public static async Task<Ok<ChannelObject>> Handle(
        Snowflake channelId, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit, IEventBus events,
        FileJanitor files, CancellationToken cancellationToken)
    {
        var (channel, member, _) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        member.RequireIn(channel, P.ManageChannels);
        var result = ChannelObject.From(channel);
        var blobs = await FileJanitor.KeysAsync(db.Attachments.Where(a => a.ChannelId == channel.Id), cancellationToken);
        var children = await db.Channels.Include(c => c.PermissionOverwrites).Where(c => c.ParentId == channel.Id).ToListAsync(cancellationToken);
        if (member.Guild.SystemChannelId == channel.Id)
            member.Guild.SystemChannelId = null;
        if (member.Guild.AfkChannelId == channel.Id)
            member.Guild.AfkChannelId = null;
        await db.Channels.Where(c => c.ParentId == channel.Id)
            .ExecuteUpdateAsync(c => c.SetProperty(x => x.ParentId, (long?)null), cancellationToken);
        db.Channels.Remove(channel);
        audit.Record(member.Guild.Id, me.Id, AuditAction.ChannelDelete, channel.Id, ChannelAudit.Fields(channel, created: false).List);
        await db.SaveChangesAsync(cancellationToken);
        files.Consider(blobs);
        events.Publish(GuildEvents.ChannelDelete(result));
        foreach (var child in children)
        {
            child.ParentId = null;
            events.Publish(GuildEvents.ChannelUpdate(ChannelObject.From(child)));
        }
        return TypedResults.Ok(result);
    }
}

public sealed record ChannelPosition(Snowflake Id, Optional<int?> Position, Optional<Snowflake?> ParentId, bool? LockPermissions);

/// <summary>
/// Moves channels. Each channel moved, and each category it moves into, must be one the caller
/// sees (403 Missing Access otherwise, as for <c>PATCH /channels/{id}</c>) and the moved channel
/// needs MANAGE_CHANNELS there; <c>lock_permissions</c> rewrites overwrites, so it also needs
/// MANAGE_ROLES in the channel and only copies bits the caller holds, as an overwrite edit does.
/// </summary>
public static class ReorderChannels
{
    public static async Task<NoContent> Handle(
        Snowflake guildId, List<ChannelPosition> body, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageChannels);
        var channels = await db.Channels.Include(c => c.PermissionOverwrites)
            .Where(c => c.GuildId == guildId.Value).ToDictionaryAsync(c => c.Id, cancellationToken);
        var errors = new FormErrors();
        for (var i = 0; i < body.Count; i++)
        {
            var entry = body[i];
            if (!channels.TryGetValue(entry.Id, out var channel))
            {
                errors.Add($"{i}.id", "CHANNEL_INVALID", "Unknown channel of this server.");
                continue;
            }
            if (entry.ParentId is { HasValue: true, Value: { } parentId }
                && (channel.Type == ChannelType.GuildCategory || !channels.TryGetValue(parentId, out var parent) || parent.Type != ChannelType.GuildCategory))
                errors.Add($"{i}.parent_id", "CHANNEL_PARENT_INVALID", "Must be a category of this server.");
        }
        if (errors.Any)
            throw ApiException.Invalid(errors);
        foreach (var entry in body)
        {
            member.RequireIn(channels[entry.Id], P.ManageChannels);
            if (entry.ParentId is { HasValue: true, Value: { } parentId })
                member.RequireIn(channels[parentId], P.ViewChannel);
        }
        foreach (var entry in body)
        {
            var channel = channels[entry.Id];
            var changes = new AuditChanges();
            if (entry.Position is { HasValue: true, Value: { } position })
            {
                changes.Add("position", channel.Position, position);
                channel.Position = position;
            }
            if (entry.ParentId.HasValue)
            {
                changes.Add("parent_id", channel.ParentId, entry.ParentId.Value?.Value);
                // Permissions are those the caller holds in the channel before it moves.
                var held = member.In(channel);
                channel.ParentId = entry.ParentId.Value?.Value;
                if (entry.LockPermissions == true && channel.ParentId is { } parentId)
                {
                    var before = Overwrites.Snapshot(channel);
                    var synced = channels[parentId].PermissionOverwrites
                        .Select(o => new OverwriteRequest(o.TargetId, (int)o.Type, (P)o.Allow, (P)o.Deny)).ToList();
                    await Overwrites.ReplaceAsync(member, channel, synced, held, db, cancellationToken);
                    Overwrites.RecordChanges(audit, member, me.Id, channel, before);
                }
            }
            if (changes.List.Count > 0)
                audit.Record(guildId, me.Id, AuditAction.ChannelUpdate, channel.Id, changes.List);
        }
        await db.SaveChangesAsync(cancellationToken);
        foreach (var id in body.Select(b => b.Id.Value).Distinct())
            events.Publish(GuildEvents.ChannelUpdate(ChannelObject.From(channels[id])));
        return TypedResults.NoContent();
    }
}

/// <summary>Field checks shared by create and modify.</summary>
internal static class ChannelFields
{
    public static void Check(ChannelType type, string? topic, int? bitrate, int? userLimit, int? slowmode, FormErrors errors)
    {
        if (topic is { Length: > 1024 })
            errors.Length("topic", 0, 1024);
        if (type == ChannelType.GuildVoice)
            ChannelRules.CheckRange("bitrate", bitrate, ChannelRules.MinBitrate, ChannelRules.MaxBitrate, errors);
        ChannelRules.CheckRange("user_limit", userLimit, 0, 99, errors);
        ChannelRules.CheckRange("rate_limit_per_user", slowmode, 0, 21600, errors);
    }
}

/// <summary>An overwrite as the audit log shows it: ids and bit fields as strings.</summary>
public sealed record AuditOverwrite(string Id, int Type, string Allow, string Deny);

/// <summary>What a channel's create and delete audit entries carry, as Discord records them.</summary>
internal static class ChannelAudit
{
    /// <summary>A channel's fields for its create (new values) or delete (old values) audit entry.</summary>
    public static AuditChanges Fields(Channel channel, bool created)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var changes = new AuditChanges();
        var overwrites = channel.PermissionOverwrites
            .Select(o => new AuditOverwrite(o.TargetId.ToString(CultureInfo.InvariantCulture), (int)o.Type,
                ((ulong)o.Allow).ToString(CultureInfo.InvariantCulture), ((ulong)o.Deny).ToString(CultureInfo.InvariantCulture)))
            .ToList();
        var fields = new (string Key, object? Value)[]
        {
            ("name", channel.Name), ("type", (int)channel.Type), ("position", channel.Position), ("topic", channel.Topic),
            ("nsfw", channel.Nsfw), ("rate_limit_per_user", channel.Type == ChannelType.GuildText ? channel.RateLimitPerUser : null),
            ("bitrate", channel.Bitrate), ("user_limit", channel.UserLimit), ("parent_id", channel.ParentId),
            ("permission_overwrites", overwrites),
        };
        foreach (var (key, value) in fields)
            _ = created ? changes.Created(key, value) : changes.Deleted(key, value);
        return changes;
    }
}
