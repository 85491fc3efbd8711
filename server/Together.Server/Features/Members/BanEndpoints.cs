using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Permissions;
using Together.Server.Features.Users;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Members;

public sealed record BanObject(string? Reason, UserObject User);

/// <summary><c>delete_message_days</c> (0–7) is Discord's deprecated form, still sent by older libraries.</summary>
public sealed record CreateBanRequest(int? DeleteMessageSeconds, int? DeleteMessageDays);

public static class BanEndpoints
{
    /// <summary>Discord's longest message clean-up window on ban: 7 days.</summary>
    public const int MaxDeleteMessageSeconds = 604_800;

    public static async Task<Ok<List<BanObject>>> List(
        Snowflake guildId, int? limit, Snowflake? before, Snowflake? after, CurrentUser me, GuildAccess access, TogetherDb db,
        CancellationToken cancellationToken)
    {
        (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.BanMembers);
        var take = limit ?? 1000;
        if (take is < 1 or > 1000)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 1000.");
        var query = db.Bans.AsNoTracking().Include(b => b.User).Where(b => b.GuildId == guildId.Value);
        if (before is { } b)
            query = query.Where(x => x.UserId < b.Value).OrderByDescending(x => x.UserId);
        else
            query = query.Where(x => x.UserId > (after.HasValue ? after.Value.Value : 0)).OrderBy(x => x.UserId);
        var bans = await query.Take(take).ToListAsync(cancellationToken);
        return TypedResults.Ok(bans.OrderBy(x => x.UserId).Select(x => new BanObject(x.Reason, UserObject.From(x.User!))).ToList());
    }

    public static async Task<Ok<BanObject>> Get(
        Snowflake guildId, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken cancellationToken)
    {
        (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.BanMembers);
        var ban = await db.Bans.AsNoTracking().Include(b => b.User)
            .SingleOrDefaultAsync(b => b.GuildId == guildId.Value && b.UserId == userId.Value, cancellationToken)
            ?? throw ApiException.NotFound(ApiErrors.UnknownBan, "Unknown Ban");
        return TypedResults.Ok(new BanObject(ban.Reason, UserObject.From(ban.User!)));
    }

    /// <summary>
    /// Bans a user (member or not): removes them, and soft-deletes their messages in the guild
    /// from the last <c>delete_message_seconds</c>. A banned user cannot rejoin through any invite.
    /// </summary>
    public static async Task<NoContent> Create(
        Snowflake guildId, Snowflake userId, CreateBanRequest? body, CurrentUser me, GuildAccess access, TogetherDb db,
        AuditLogWriter audit, IEventBus events, Voice.VoiceStateService voice, TimeProvider time, Files.FileJanitor files, CancellationToken cancellationToken)
    {
        var member = (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.BanMembers);
        if (body?.DeleteMessageDays is < 0 or > 7)
            throw ApiException.Invalid("delete_message_days", "NUMBER_TYPE_MAX", "Must be between 0 and 7.");
        var seconds = body?.DeleteMessageSeconds ?? body?.DeleteMessageDays * 86_400 ?? 0;
        if (seconds is < 0 or > MaxDeleteMessageSeconds)
            throw ApiException.Invalid("delete_message_seconds", "NUMBER_TYPE_MAX", $"Must be between 0 and {MaxDeleteMessageSeconds}.");
        if (userId.Value == me.Id.Value || userId.Value == member.Guild.OwnerId)
            throw ApiException.MissingPermissions();
        if (!await db.Users.AnyAsync(u => u.Id == userId.Value, cancellationToken))
            throw ApiException.NotFound(ApiErrors.UnknownUser, "Unknown User");
        var target = await db.GuildMembers.AnyAsync(m => m.GuildId == guildId.Value && m.UserId == userId.Value, cancellationToken)
            ? await access.OtherMemberAsync(member, userId, cancellationToken)
            : null;
        if (target is not null && !member.Outranks(target))
            throw ApiException.MissingPermissions();

        var now = time.GetUtcNow();
        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
        if (!await db.Bans.AnyAsync(b => b.GuildId == guildId.Value && b.UserId == userId.Value, cancellationToken))
            db.Bans.Add(new Ban { GuildId = guildId, UserId = userId, ModeratorId = me.Id, CreatedAt = now, Reason = audit.Reason() });
        if (target is not null)
            db.GuildMembers.Remove(target.Member);
        var cleaned = new List<(long Channel, long Message)>();
        if (seconds > 0)
        {
            var since = Snowflake.FromTimestamp(now.AddSeconds(-seconds)).Value;
            var recent = db.Messages.Where(m => m.GuildId == guildId.Value && m.AuthorId == userId.Value && m.Id >= since && m.DeletedAt == null);
            cleaned = (await recent.Select(m => new { m.ChannelId, m.Id }).ToListAsync(cancellationToken)).Select(m => (m.ChannelId, m.Id)).ToList();
            // The same clean-up as MessageEndpoints.SoftDelete, in two statements instead of a row at a time:
            // pins first, while the messages still match the query.
            await db.Pins.Where(p => recent.Select(m => m.Id).Contains(p.MessageId)).ExecuteDeleteAsync(cancellationToken);
            long[] none = [];
            await recent.ExecuteUpdateAsync(m => m
                .SetProperty(x => x.DeletedAt, now)
                .SetProperty(x => x.Content, "")
                .SetProperty(x => x.MentionUserIds, none)
                .SetProperty(x => x.MentionRoleIds, none)
                .SetProperty(x => x.Pinned, false)
                .SetProperty(x => x.EmbedsJson, (string?)null), cancellationToken);
        }
        audit.Record(guildId, me.Id, AuditAction.MemberBanAdd, userId,
            options: seconds > 0 ? new Dictionary<string, string> { ["delete_message_seconds"] = seconds.ToString(System.Globalization.CultureInfo.InvariantCulture) } : null);
        await db.SaveChangesAsync(cancellationToken);
        await transaction.CommitAsync(cancellationToken);
        var cleanedIds = cleaned.Select(c => c.Message).ToList();
        if (cleanedIds.Count > 0)
            await files.ReleaseAsync(db.Attachments.Where(a => cleanedIds.Contains(a.MessageId)), cancellationToken);
        await voice.LeaveGuildAsync(db, guildId, userId, cancellationToken);
        var user = UserObject.From(await db.Users.AsNoTracking().SingleAsync(u => u.Id == userId.Value, cancellationToken));
        events.Publish(GuildEvents.BanAdd(guildId, user));
        if (target is not null)
            foreach (var gone in GuildEvents.MemberGone(guildId, user))
                events.Publish(gone);
        foreach (var channel in cleaned.GroupBy(c => c.Channel))
            events.Publish(GuildEvents.MessageDeleteBulk(guildId, channel.Key, channel.Select(c => c.Message).ToList()));
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Remove(
        Snowflake guildId, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit, IEventBus events,
        CancellationToken cancellationToken)
    {
        (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.BanMembers);
        var ban = await db.Bans.Include(b => b.User).SingleOrDefaultAsync(b => b.GuildId == guildId.Value && b.UserId == userId.Value, cancellationToken)
            ?? throw ApiException.NotFound(ApiErrors.UnknownBan, "Unknown Ban");
        db.Bans.Remove(ban);
        audit.Record(guildId, me.Id, AuditAction.MemberBanRemove, userId);
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.BanRemove(guildId, UserObject.From(ban.User!)));
        return TypedResults.NoContent();
    }
}
