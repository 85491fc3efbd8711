using System.Text.Json.Serialization;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Files;
using Together.Server.Features.Users;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Messages;

public sealed record EmojiObject(Snowflake? Id, string Name);

public sealed record ReactionCountDetails(int Burst, int Normal);

public sealed record ReactionObject(int Count, ReactionCountDetails CountDetails, bool Me, bool MeBurst, EmojiObject Emoji, IReadOnlyList<string> BurstColors);

public sealed record MessageReferenceObject(int Type, Snowflake? MessageId, Snowflake ChannelId, Snowflake? GuildId);

/// <summary>Discord's message object.</summary>
public sealed record MessageObject(
    Snowflake Id,
    int Type,
    Snowflake ChannelId,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] Snowflake? GuildId,
    UserObject Author,
    string Content,
    DateTimeOffset Timestamp,
    DateTimeOffset? EditedTimestamp,
    bool Tts,
    bool MentionEveryone,
    IReadOnlyList<UserObject> Mentions,
    IReadOnlyList<Snowflake> MentionRoles,
    IReadOnlyList<AttachmentObject> Attachments,
    IReadOnlyList<object> Embeds,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] IReadOnlyList<ReactionObject>? Reactions,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] string? Nonce,
    bool Pinned,
    int Flags,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MessageReferenceObject? MessageReference,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] MessageObject? ReferencedMessage);

/// <summary>
/// Turns message rows into Discord's message objects for one viewer with a fixed number of
/// queries for a whole page: authors and mentioned users, reaction counts (with "me"), and the
/// messages being replied to.
/// </summary>
public sealed class MessageReader(TogetherDb db, AttachmentUrls urls)
{
    // Compiled: every history page and search runs both (EF's per-query expression work was a
    // tenth of a page's garbage).
    private static readonly CompiledQuery<Func<TogetherDb, long[], IAsyncEnumerable<User>>> UsersById = new(() =>
        EF.CompileAsyncQuery((TogetherDb db, long[] ids) => db.Users.AsNoTracking().Where(u => ids.Contains(u.Id))));

    private static readonly CompiledQuery<Func<TogetherDb, long[], long, IAsyncEnumerable<ReactionCount>>> ReactionCounts = new(() =>
        EF.CompileAsyncQuery((TogetherDb db, long[] messageIds, long viewerId) => db.Reactions.AsNoTracking().Where(r => messageIds.Contains(r.MessageId))
            .GroupBy(r => new { r.MessageId, r.EmojiKey, r.EmojiName, r.EmojiId })
            .Select(g => new ReactionCount(g.Key.MessageId, g.Key.EmojiName, g.Key.EmojiId, g.Count(), g.Count(r => r.UserId == viewerId), g.Min(r => r.CreatedAt)))));

    /// <summary>One emoji on one message: how many, whether the viewer is among them, and when it first appeared (display order).</summary>
    private sealed record ReactionCount(long MessageId, string EmojiName, long? EmojiId, int Count, int Mine, DateTimeOffset First);

    private static async Task<Dictionary<long, T>> ToDictionaryAsync<T>(IAsyncEnumerable<T> rows, Func<T, long> key, CancellationToken cancellationToken)
    {
        var result = new Dictionary<long, T>();
        await foreach (var row in rows.WithCancellation(cancellationToken))
            result[key(row)] = row;
        return result;
    }

    /// <summary>
    /// One message; <paramref name="isNew"/> skips the reaction and attachment lookups a message
    /// just sent cannot need (its attachments are given).
    /// </summary>
    public async Task<MessageObject> OneAsync(Message message, long viewerId, CancellationToken cancellationToken, string? nonce = null, bool isNew = false,
        IReadOnlyList<Attachment>? attachments = null, User? author = null) =>
        (await ManyAsync([message], viewerId, cancellationToken, nonce, withReactions: !isNew, attachments: isNew ? attachments ?? [] : null,
            known: author is null ? null : [author]))[0];

    /// <param name="known">Users the caller already has (the sender, a page's authors): when they are all that is needed, no user query runs.</param>
    public async Task<List<MessageObject>> ManyAsync(IReadOnlyList<Message> messages, long viewerId, CancellationToken cancellationToken,
        string? nonce = null, bool withReactions = true, IReadOnlyList<Attachment>? attachments = null, IReadOnlyList<User>? known = null)
    {
        ArgumentNullException.ThrowIfNull(messages);
        if (messages.Count == 0)
            return [];
        var referencedIds = messages.Where(m => m.ReferencedMessageId is not null).Select(m => m.ReferencedMessageId!.Value).Distinct().ToList();
        var referenced = referencedIds.Count == 0 ? new Dictionary<long, Message>()
            : await db.Messages.AsNoTracking().Where(m => referencedIds.Contains(m.Id) && m.DeletedAt == null).ToDictionaryAsync(m => m.Id, cancellationToken);

        var all = messages.Concat(referenced.Values).ToList();
        var userIds = all.Select(m => m.AuthorId).Concat(all.SelectMany(m => m.MentionUserIds)).Distinct().ToList();
        var users = known?.ToDictionary(u => u.Id) ?? [];
        if (!userIds.All(users.ContainsKey))
            users = await ToDictionaryAsync(UsersById.For(db)(db, [.. userIds]), u => u.Id, cancellationToken);

        var messageIds = messages.Select(m => m.Id).ToList();
        var files = (attachments ?? await db.Attachments.AsNoTracking().Where(a => messageIds.Contains(a.MessageId)).ToListAsync(cancellationToken))
            .OrderBy(a => a.Id).GroupBy(a => a.MessageId)
            .ToDictionary(g => g.Key, g => (IReadOnlyList<AttachmentObject>)g.Select(a => AttachmentObject.From(a, urls)).ToList());
        var reactions = new List<ReactionCount>();
        if (withReactions)
            await foreach (var count in ReactionCounts.For(db)(db, [.. messageIds], viewerId).WithCancellation(cancellationToken))
                reactions.Add(count);
        var reactionsByMessage = reactions.GroupBy(r => r.MessageId).ToDictionary(
            g => g.Key,
            g => (IReadOnlyList<ReactionObject>)g.OrderBy(r => r.First).Select(r => new ReactionObject(
                r.Count, new ReactionCountDetails(0, r.Count), r.Mine > 0, false, new EmojiObject(r.EmojiId, r.EmojiName), [])).ToList());

        MessageObject Build(Message m, bool withReference) => new(
            m.Id, m.Type, m.ChannelId, m.GuildId,
            Author(users, m.AuthorId),
            m.Content,
            new Snowflake(m.Id).Timestamp,
            m.EditedAt,
            m.Tts,
            m.MentionEveryone,
            m.MentionUserIds.Length == 0 ? [] : m.MentionUserIds.Where(users.ContainsKey).Select(id => UserObject.From(users[id])).ToList(),
            m.MentionRoleIds.Length == 0 ? [] : m.MentionRoleIds.Select(id => new Snowflake(id)).ToList(),
            files.GetValueOrDefault(m.Id) ?? [],
            [],
            reactionsByMessage.GetValueOrDefault(m.Id),
            null,
            m.Pinned,
            m.Flags,
            m.ReferencedMessageId is { } refId ? new MessageReferenceObject(0, refId, m.ChannelId, m.GuildId) : null,
            withReference && m.ReferencedMessageId is { } r && referenced.TryGetValue(r, out var target) ? Build(target, false) : null);

        var result = messages.Select(m => Build(m, true)).ToList();
        if (nonce is not null)
            result[0] = result[0] with { Nonce = nonce };
        return result;
    }

    private static UserObject Author(Dictionary<long, User> users, long id) =>
        users.TryGetValue(id, out var user)
            ? UserObject.From(user)
            : new UserObject(id, "Deleted User", "0", null, null, null, null, false, 0);
}
