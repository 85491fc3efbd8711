using System.Globalization;
using System.Text;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Features.Users;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Messages;

/// <summary>Unicode emoji reactions, Discord's routes: the emoji is URL-encoded in the path.</summary>
public static class Reactions
{
    /// <summary>Discord's cap on distinct reactions per message.</summary>
    public const int MaxDistinctPerMessage = 20;

    /// <summary>
    /// A unicode emoji: one grapheme (ZWJ sequences, flags, skin tones and keycaps are single
    /// graphemes) that is not plain text. Custom emoji (<c>name:id</c>) do not exist on this server.
    /// </summary>
    public static string ParseEmoji(string raw)
    {
        var emoji = Uri.UnescapeDataString(raw ?? "");
        if (emoji.Contains(':', StringComparison.Ordinal))
            throw ApiException.BadRequest(ApiErrors.UnknownEmoji, "Unknown Emoji");
        var valid = emoji.Length is > 0 and <= 32
            && new StringInfo(emoji).LengthInTextElements == 1
            && !emoji.EnumerateRunes().Any(r => Rune.IsWhiteSpace(r) || Rune.IsControl(r))
            && (emoji.EnumerateRunes().Any(r => r.Value > 0x7F) && !emoji.EnumerateRunes().All(r => Rune.IsLetterOrDigit(r)));
        return valid ? emoji : throw ApiException.BadRequest(ApiErrors.UnknownEmoji, "Unknown Emoji");
    }

    /// <summary>
    /// Reacting needs READ_MESSAGE_HISTORY, and ADD_REACTIONS unless joining an existing reaction.
    /// A timed-out member adds no reaction at all, not even to an existing one (Discord: 50013).
    /// </summary>
    public static async Task<NoContent> AddMine(
        Snowflake channelId, Snowflake messageId, string emoji, CurrentUser me, GuildAccess access, TogetherDb db, TimeProvider time,
        IEventBus events, CancellationToken cancellationToken)
    {
        var key = ParseEmoji(emoji);
        var (channel, member, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ReadMessageHistory) == 0 || member.TimedOut)
            throw ApiException.MissingPermissions();
        var message = await MessageEndpoints.LiveMessageAsync(db, channel.Id, messageId, cancellationToken);
        var existing = await db.Reactions.Where(r => r.MessageId == message.Id).Select(r => r.EmojiKey).Distinct().ToListAsync(cancellationToken);
        if (!existing.Contains(key))
        {
            if ((permissions & P.AddReactions) == 0)
                throw ApiException.MissingPermissions();
            if (existing.Count >= MaxDistinctPerMessage)
                throw ApiException.BadRequest(ApiErrors.MaximumReactions, "Maximum number of reactions reached (20)");
        }
        if (await db.Reactions.AnyAsync(r => r.MessageId == message.Id && r.EmojiKey == key && r.UserId == me.Id.Value, cancellationToken))
            return TypedResults.NoContent();
        db.Reactions.Add(new Reaction { MessageId = message.Id, UserId = me.Id, EmojiKey = key, EmojiName = key, CreatedAt = time.GetUtcNow() });
        try
        {
            await db.SaveChangesAsync(cancellationToken);
        }
        catch (DbUpdateException)
        {
            // A double click raced itself; the reaction is there, which is what was asked.
            return TypedResults.NoContent();
        }
        var user = await db.Users.AsNoTracking().SingleAsync(u => u.Id == me.Id.Value, cancellationToken);
        events.Publish(GuildEvents.ReactionAdd(member.Guild.Id, channel.Id, message.Id, me.Id, key, message.AuthorId,
            MemberObject.From(member.Member, UserObject.From(user), time)));
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> RemoveMine(
        Snowflake channelId, Snowflake messageId, string emoji, CurrentUser me, GuildAccess access, TogetherDb db, IEventBus events,
        CancellationToken cancellationToken)
    {
        var key = ParseEmoji(emoji);
        var (channel, member, _) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        var message = await MessageEndpoints.LiveMessageAsync(db, channel.Id, messageId, cancellationToken);
        if (await db.Reactions.Where(r => r.MessageId == message.Id && r.EmojiKey == key && r.UserId == me.Id.Value).ExecuteDeleteAsync(cancellationToken) > 0)
            events.Publish(GuildEvents.ReactionRemove(member.Guild.Id, channel.Id, message.Id, me.Id, key));
        return TypedResults.NoContent();
    }

    /// <summary>Removing someone else's reaction, one emoji's or all of them needs MANAGE_MESSAGES.</summary>
    public static async Task<NoContent> RemoveUsers(
        Snowflake channelId, Snowflake messageId, string emoji, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db,
        IEventBus events, CancellationToken cancellationToken)
    {
        var key = ParseEmoji(emoji);
        var message = await ModeratedMessageAsync(channelId, messageId, me, access, db, cancellationToken);
        if (await db.Reactions.Where(r => r.MessageId == message.Id && r.EmojiKey == key && r.UserId == userId.Value).ExecuteDeleteAsync(cancellationToken) > 0)
            events.Publish(GuildEvents.ReactionRemove(message.GuildId!.Value, message.ChannelId, message.Id, userId, key));
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> RemoveEmoji(
        Snowflake channelId, Snowflake messageId, string emoji, CurrentUser me, GuildAccess access, TogetherDb db, IEventBus events,
        CancellationToken cancellationToken)
    {
        var key = ParseEmoji(emoji);
        var message = await ModeratedMessageAsync(channelId, messageId, me, access, db, cancellationToken);
        if (await db.Reactions.Where(r => r.MessageId == message.Id && r.EmojiKey == key).ExecuteDeleteAsync(cancellationToken) > 0)
            events.Publish(GuildEvents.ReactionRemoveEmoji(message.GuildId!.Value, message.ChannelId, message.Id, key));
        return TypedResults.NoContent();
    }

    public static async Task<NoContent> RemoveAll(
        Snowflake channelId, Snowflake messageId, CurrentUser me, GuildAccess access, TogetherDb db, IEventBus events,
        CancellationToken cancellationToken)
    {
        var message = await ModeratedMessageAsync(channelId, messageId, me, access, db, cancellationToken);
        if (await db.Reactions.Where(r => r.MessageId == message.Id).ExecuteDeleteAsync(cancellationToken) > 0)
            events.Publish(GuildEvents.ReactionRemoveAll(message.GuildId!.Value, message.ChannelId, message.Id));
        return TypedResults.NoContent();
    }

    /// <summary>Who reacted with an emoji, in user id order, paged with <c>after</c>.</summary>
    public static async Task<Ok<List<UserObject>>> ListUsers(
        Snowflake channelId, Snowflake messageId, string emoji, Snowflake? after, int? limit, CurrentUser me, GuildAccess access,
        TogetherDb db, CancellationToken cancellationToken)
    {
        var key = ParseEmoji(emoji);
        var take = limit ?? 25;
        if (take is < 1 or > 100)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 100.");
        var (channel, _, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ReadMessageHistory) == 0)
            throw ApiException.MissingPermissions();
        var message = await MessageEndpoints.LiveMessageAsync(db, channel.Id, messageId, cancellationToken);
        var afterId = after?.Value ?? 0;
        var userIds = await db.Reactions.Where(r => r.MessageId == message.Id && r.EmojiKey == key && r.UserId > afterId)
            .OrderBy(r => r.UserId).Take(take).Select(r => r.UserId).ToListAsync(cancellationToken);
        var users = await db.Users.AsNoTracking().Where(u => userIds.Contains(u.Id)).OrderBy(u => u.Id).ToListAsync(cancellationToken);
        return TypedResults.Ok(users.Select(UserObject.From).ToList());
    }

    private static async Task<Message> ModeratedMessageAsync(
        Snowflake channelId, Snowflake messageId, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken cancellationToken)
    {
        var (channel, _, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ManageMessages) == 0)
            throw ApiException.MissingPermissions();
        return await MessageEndpoints.LiveMessageAsync(db, channel.Id, messageId, cancellationToken);
    }
}
