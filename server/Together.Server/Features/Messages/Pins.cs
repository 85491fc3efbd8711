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

namespace Together.Server.Features.Messages;

public sealed record PinnedMessageObject(DateTimeOffset PinnedAt, MessageObject Message);

public sealed record PinsPageObject(IReadOnlyList<PinnedMessageObject> Items, bool HasMore);

/// <summary>Pins: MANAGE_MESSAGES to pin or unpin, at most 50 per channel, newest pin first.</summary>
public static class Pins
{
    public const int MaxPerChannel = 50;

    public static async Task<NoContent> Pin(
        Snowflake channelId, Snowflake messageId, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, TimeProvider time, CancellationToken cancellationToken)
    {
        var (channel, member, permissions) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ManageMessages) == 0)
            throw ApiException.MissingPermissions();
        var message = await MessageEndpoints.LiveMessageAsync(db, channel.Id, messageId, cancellationToken, tracked: true);
        if (message.Pinned)
            return TypedResults.NoContent();
        if (await db.Pins.CountAsync(p => p.ChannelId == channel.Id, cancellationToken) >= MaxPerChannel)
            throw ApiException.BadRequest(ApiErrors.MaximumPins, $"Maximum number of pins reached ({MaxPerChannel})");
        var now = time.GetUtcNow();
        message.Pinned = true;
        channel.LastPinTimestamp = now;
        db.Pins.Add(new Pin { ChannelId = channel.Id, MessageId = message.Id, PinnedById = me.Id, PinnedAt = now });
        audit.Record(member.Guild.Id, me.Id, AuditAction.MessagePin, message.AuthorId,
            options: new Dictionary<string, string> { ["channel_id"] = channel.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["message_id"] = message.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.PinsUpdate(member.Guild.Id, channel.Id, channel.LastPinTimestamp));
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> Unpin(
        Snowflake channelId, Snowflake messageId, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, CancellationToken cancellationToken)
    {
        var (channel, member, permissions) = await access.TrackedChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ManageMessages) == 0)
            throw ApiException.MissingPermissions();
        var message = await MessageEndpoints.LiveMessageAsync(db, channel.Id, messageId, cancellationToken, tracked: true);
        var pin = await db.Pins.SingleOrDefaultAsync(p => p.ChannelId == channel.Id && p.MessageId == message.Id, cancellationToken);
        if (pin is null)
            return TypedResults.NoContent();
        message.Pinned = false;
        db.Pins.Remove(pin);
        audit.Record(member.Guild.Id, me.Id, AuditAction.MessageUnpin, message.AuthorId,
            options: new Dictionary<string, string> { ["channel_id"] = channel.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["message_id"] = message.Id.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.PinsUpdate(member.Guild.Id, channel.Id, channel.LastPinTimestamp));
        return TypedResults.NoContent();
    }

    /// <summary>The legacy list (<c>GET /channels/{id}/pins</c>): an array of messages.</summary>
    public static async Task<Ok<List<MessageObject>>> ListLegacy(
        Snowflake channelId, CurrentUser me, GuildAccess access, TogetherDb db, MessageReader reader, CancellationToken cancellationToken)
    {
        var pinned = await LoadAsync(channelId, null, MaxPerChannel, me, access, db, cancellationToken);
        return TypedResults.Ok(await reader.ManyAsync(pinned.Select(p => p.Message!).ToList(), me.Id, cancellationToken));
    }

    /// <summary>The current list (<c>GET /channels/{id}/messages/pins</c>): <c>{items, has_more}</c>.</summary>
    public static async Task<Ok<PinsPageObject>> List(
        Snowflake channelId, DateTimeOffset? before, int? limit, CurrentUser me, GuildAccess access, TogetherDb db, MessageReader reader,
        CancellationToken cancellationToken)
    {
        var take = limit ?? MaxPerChannel;
        if (take is < 1 or > MaxPerChannel)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", $"Must be between 1 and {MaxPerChannel}.");
        var pinned = await LoadAsync(channelId, before, take + 1, me, access, db, cancellationToken);
        var page = pinned.Take(take).ToList();
        var messages = await reader.ManyAsync(page.Select(p => p.Message!).ToList(), me.Id, cancellationToken);
        return TypedResults.Ok(new PinsPageObject(page.Zip(messages, (p, m) => new PinnedMessageObject(p.PinnedAt, m)).ToList(), pinned.Count > take));
    }

    private static async Task<List<Pin>> LoadAsync(
        Snowflake channelId, DateTimeOffset? before, int take, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken cancellationToken)
    {
        var (channel, _, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ReadMessageHistory) == 0)
            return [];
        var query = db.Pins.AsNoTracking().Include(p => p.Message).Where(p => p.ChannelId == channel.Id && p.Message!.DeletedAt == null);
        if (before is { } b)
            query = query.Where(p => p.PinnedAt < b);
        return await query.OrderByDescending(p => p.PinnedAt).Take(take).ToListAsync(cancellationToken);
    }
}
