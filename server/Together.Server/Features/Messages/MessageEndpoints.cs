using System.Collections.Concurrent;
using System.Text.Json;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Files;
using Together.Server.Features.Gateway;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Messages;

public sealed record MessageReferenceRequest(Snowflake? MessageId, Snowflake? ChannelId, Snowflake? GuildId, bool? FailIfNotExists);

/// <summary>An entry of <c>attachments</c> in <c>payload_json</c>: <c>id</c> is the n of <c>files[n]</c>.</summary>
public sealed record AttachmentRequest(JsonElement Id, string? Filename, string? Description);

public sealed record SendMessageRequest(
    string? Content,
    JsonElement Nonce,
    bool? Tts,
    MessageReferenceRequest? MessageReference,
    bool? EnforceNonce,
    IReadOnlyList<AttachmentRequest>? Attachments);

/// <summary><c>attachments</c> lists the attachments to keep (by id), as Discord: the others are removed.</summary>
public sealed record EditMessageRequest(Optional<string?> Content, Optional<IReadOnlyList<AttachmentRequest>?> Attachments);

public sealed record BulkDeleteRequest(IReadOnlyList<Snowflake>? Messages);

/// <summary>
/// Per channel and member, when they last sent: slowmode. Kept in memory: after a restart the
/// next message is simply allowed. (With several instances each enforces its own share.)
/// </summary>
public sealed class Slowmode(TimeProvider time)
{
    private readonly ConcurrentDictionary<(long Channel, long User), DateTimeOffset> _last = new();

    /// <summary>Seconds to wait, or 0 when the member may send now (and the send is recorded).</summary>
    public double TryPass(long channelId, long userId, int seconds)
    {
        var now = time.GetUtcNow();
        if (_last.Count > 100_000)
            foreach (var (key, at) in _last)
                if (now - at > TimeSpan.FromHours(6))
                    _last.TryRemove(key, out _);
        var wait = 0.0;
        _last.AddOrUpdate((channelId, userId), now, (_, previous) =>
        {
            var remaining = (previous + TimeSpan.FromSeconds(seconds) - now).TotalSeconds;
            if (remaining > 0)
            {
                wait = remaining;
                return previous;
            }
            return now;
        });
        return wait;
    }
}

public static class MessageEndpoints
{
    public const int MaxContentLength = 2000;
    public const int MaxNonceLength = 25;

    /// <summary>
    /// Sends a message: VIEW_CHANNEL and SEND_MESSAGES in a text channel (a timed-out member has
    /// neither), content 1–2000 characters, slowmode unless the member may manage the channel or
    /// its messages. Persisted before it is acknowledged. With <c>enforce_nonce</c>, a retry with
    /// the same nonce within minutes returns the first message instead of posting twice.
    /// </summary>
    public static async Task<Ok<MessageObject>> Send(
        Snowflake channelId, HttpRequest request, CurrentUser me, GuildAccess access, TogetherDb db, SnowflakeGenerator ids,
        MessageReader reader, Slowmode slowmode, IEventBus events, TimeProvider time, Uploads uploads, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(request);
        ArgumentNullException.ThrowIfNull(uploads);
        // On PostgreSQL a member's second message on is one round trip: the access comes from
        // memory and the INSERT itself checks that the rows it was decided on are unchanged. When
        // they changed, or the copy would refuse anything, it is decided again on fresh rows.
        var cached = request.HasJsonContentType() ? access.CachedChannel(channelId, me.Id) : null;
        MessageUpload? upload = null;
        var slowmodePassed = false;
        // A body that cannot be read is refused as it is: it cannot be read a second time.
        var bodyRead = true;
        try
        {
            while (true)
            {
                var (channel, member, permissions) = cached is { } hit
                    ? (hit.Channel, hit.Member, hit.Permissions)
                    : await access.ChannelForWriteAsync(channelId, me.Id, cancellationToken);
                try
                {
                    if (channel.Type != ChannelType.GuildText)
                        throw ApiException.BadRequest(ApiErrors.CannotSendInNonTextChannel, "Cannot send messages in a non-text channel");
                    if ((permissions & P.SendMessages) == 0)
                        throw ApiException.MissingPermissions();

                    // Files arrive only after the checks above; the set deletes whatever is not stored.
                    if (upload is null)
                    {
                        bodyRead = false;
                        upload = await uploads.ReadMessageAsync(request, (permissions & P.AttachFiles) != 0, cancellationToken);
                        bodyRead = true;
                    }
                    var body = upload.Payload;
                    var errors = new FormErrors();
                    var content = body.Content ?? "";
                    var nonce = ReadNonce(body.Nonce, errors);
                    var files = uploads.Describe(upload, errors);
                    if (string.IsNullOrWhiteSpace(content) && upload.Files.Count == 0)
                        throw ApiException.BadRequest(50006, "Cannot send an empty message");
                    if (content.Length > MaxContentLength)
                        errors.Add("content", "BASE_TYPE_MAX_LENGTH", $"Must be {MaxContentLength} or fewer in length.");
                    if (errors.Any)
                        throw ApiException.Invalid(errors);

                    if (body.EnforceNonce == true && nonce is not null)
                    {
                        var since = Snowflake.FromTimestamp(time.GetUtcNow().AddMinutes(-5)).Value;
                        var earlier = await db.Messages.AsNoTracking()
                            .FirstOrDefaultAsync(m => m.AuthorId == me.Id.Value && m.Id > since && m.ChannelId == channel.Id && m.Nonce == nonce && m.DeletedAt == null, cancellationToken);
                        if (earlier is not null)
                            return TypedResults.Ok(await reader.OneAsync(earlier, me.Id, cancellationToken, nonce));
                    }

                    Message? replyTo = null;
                    if (body.MessageReference?.MessageId is { } referenceId)
                    {
                        replyTo = await db.Messages.AsNoTracking()
                            .SingleOrDefaultAsync(m => m.Id == referenceId.Value && m.ChannelId == channel.Id && m.DeletedAt == null, cancellationToken);
                        if (replyTo is null && body.MessageReference.FailIfNotExists != false)
                            throw ApiException.Invalid("message_reference", "REPLIES_UNKNOWN_MESSAGE", "Unknown message");
                        if ((permissions & P.ReadMessageHistory) == 0)
                            throw ApiException.MissingPermissions();
                    }

                    if (!slowmodePassed && channel.RateLimitPerUser > 0 && (permissions & (P.ManageMessages | P.ManageChannels)) == 0)
                    {
                        var wait = slowmode.TryPass(channel.Id, me.Id, channel.RateLimitPerUser);
                        if (wait > 0)
                            throw new ApiException(StatusCodes.Status429TooManyRequests,
                                new ApiError(ApiErrors.SlowmodeRateLimited, "This action cannot be performed due to slowmode rate limit.",
                                    RetryAfter: Math.Round(wait, 3), Global: false));
                        // Counted once: a send decided again on fresh rows is the same send.
                        slowmodePassed = true;
                    }

                    var mentions = await ResolveMentionsAsync(db, member, permissions, content, replyTo, cancellationToken);
                    var message = new Message
                    {
                        Id = ids.Next(),
                        ChannelId = channel.Id,
                        GuildId = channel.GuildId,
                        AuthorId = me.Id,
                        Content = content,
                        Type = replyTo is null ? 0 : 19,
                        Tts = body.Tts == true && (permissions & P.SendTtsMessages) != 0,
                        ReferencedMessageId = replyTo?.Id,
                        MentionUserIds = mentions.UserIds.ToArray(),
                        MentionRoleIds = mentions.RoleIds.ToArray(),
                        MentionEveryone = mentions.Everyone,
                        Nonce = nonce,
                    };
                    // Blobs are in the store before any row names them: a crash in between leaves only an
                    // unreferenced blob, which the janitor removes.
                    var attachments = await uploads.StoreAsync(upload, files, message, ids, cancellationToken);
                    // channels.last_message_id follows by a database trigger: a text message is one INSERT,
                    // written directly (EF's update pipeline cost more garbage than the rest of the request).
                    if (cached is not null)
                    {
                        // A JSON body has no files, so this is the only row.
                        if (!await db.InsertIfAsync(message, GuildAccess.WriteGuard, GuildAccess.GuardValues(cached), cancellationToken))
                        {
                            access.Forget(member.Guild.Id, me.Id);
                            cached = null;
                            continue;
                        }
                    }
                    else if (attachments.Count == 0)
                        await db.InsertAsync(message, cancellationToken);
                    else
                    {
                        await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
                        await db.InsertAsync(message, cancellationToken);
                        db.Attachments.AddRange(attachments);
                        await db.SaveChangesAsync(cancellationToken);
                        await transaction.CommitAsync(cancellationToken);
                    }
                    var created = await reader.OneAsync(message, me.Id, cancellationToken, nonce, isNew: true, attachments, member.Member.User);
                    // Persist, then publish: nobody sees a message the database does not have.
                    events.Publish(GuildEvents.Message("MESSAGE_CREATE", created, MemberObject.From(member.Member, created.Author, time)));
                    return TypedResults.Ok(created);
                }
                catch (ApiException) when (cached is not null && bodyRead)
                {
                    // Refused on the copy: the answer must come from the rows as they are now.
                    access.Forget(member.Guild.Id, me.Id);
                    cached = null;
                }
            }
        }
        finally
        {
            upload?.Dispose();
        }
    }

    /// <summary>A message of a page, its author and one of its attachments (none: null), from one query.</summary>
    private sealed record PageRow(Message Message, User Author, Attachment? Attachment);

    // The page's attachments come in the same round trip, as a left join projected to rows:
    // EF's Include built delegates and closures for every row (a third of a page's garbage).
    // Its authors too (an inner join: a foreign key keeps an author's row while a message names
    // it), so a page whose messages mention no one else needs no user query of its own.
    // (Written out again in the compiled queries below: a compiled query cannot call a helper.)
    private static IQueryable<PageRow> WithAttachments(TogetherDb db, IQueryable<Message> messages) =>
        messages.Join(db.Users, m => m.AuthorId, u => u.Id, (m, u) => new { m, u })
            .SelectMany(x => db.Attachments.Where(a => a.MessageId == x.m.Id).DefaultIfEmpty(), (x, a) => new PageRow(x.m, x.u, a));

    private static readonly CompiledQuery<Func<TogetherDb, long, long, int, IAsyncEnumerable<PageRow>>> OlderPage = new(() =>
        EF.CompileAsyncQuery((TogetherDb db, long channelId, long before, int take) =>
            db.Messages.AsNoTracking()
                .Where(m => m.ChannelId == channelId && m.DeletedAt == null && m.Id < before)
                .OrderByDescending(m => m.Id).Take(take)
                .Join(db.Users, m => m.AuthorId, u => u.Id, (m, u) => new { m, u })
                .SelectMany(x => db.Attachments.Where(a => a.MessageId == x.m.Id).DefaultIfEmpty(), (x, a) => new PageRow(x.m, x.u, a))));

    // around=: up to half the page at or after the anchor and a full page before it, in one round
    // trip (a UNION ALL); the page keeps the newer ones and fills up with the older ones.
    private static readonly CompiledQuery<Func<TogetherDb, long, long, int, int, IAsyncEnumerable<PageRow>>> AroundPage = new(() =>
        EF.CompileAsyncQuery((TogetherDb db, long channelId, long around, int newer, int older) =>
            db.Messages.AsNoTracking()
                .Where(m => m.ChannelId == channelId && m.DeletedAt == null && m.Id >= around)
                .OrderBy(m => m.Id).Take(newer)
                .Concat(db.Messages.AsNoTracking()
                    .Where(m => m.ChannelId == channelId && m.DeletedAt == null && m.Id < around)
                    .OrderByDescending(m => m.Id).Take(older))
                .Join(db.Users, m => m.AuthorId, u => u.Id, (m, u) => new { m, u })
                .SelectMany(x => db.Attachments.Where(a => a.MessageId == x.m.Id).DefaultIfEmpty(), (x, a) => new PageRow(x.m, x.u, a))));

    /// <summary>The messages of a page, newest first, each with its attachments; and their authors.</summary>
    private static async Task<(List<Message> Page, List<User> Authors)> CollectAsync(IAsyncEnumerable<PageRow> rows, CancellationToken cancellationToken)
    {
        var byId = new Dictionary<long, Message>();
        var authors = new Dictionary<long, User>();
        await foreach (var (message, author, attachment) in rows.WithCancellation(cancellationToken))
        {
            if (!byId.TryGetValue(message.Id, out var kept))
                byId[message.Id] = kept = message;
            authors.TryAdd(author.Id, author);
            if (attachment is not null)
                kept.Attachments.Add(attachment);
        }
        var page = byId.Values.ToList();
        page.Sort((a, b) => b.Id.CompareTo(a.Id));
        return (page, authors.Values.ToList());
    }

    /// <summary>
    /// A page of history, newest first, by keyset on (channel_id, id): never OFFSET, so the millionth
    /// message costs what the first does.
    /// </summary>
    public static async Task<Ok<List<MessageObject>>> List(
        Snowflake channelId, Snowflake? before, Snowflake? after, Snowflake? around, int? limit, CurrentUser me, GuildAccess access,
        TogetherDb db, MessageReader reader, CancellationToken cancellationToken)
    {
        var (channel, _, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ReadMessageHistory) == 0)
            return TypedResults.Ok(new List<MessageObject>());
        var take = limit ?? 50;
        if (take is < 1 or > 100)
            throw ApiException.Invalid("limit", "NUMBER_TYPE_MAX", "Must be between 1 and 100.");
        if (new[] { before, after, around }.Count(x => x is not null) > 1)
            throw ApiException.Invalid("around", "BASE_TYPE_INVALID", "Only one of before, after and around may be given.");

        var live = db.Messages.AsNoTracking().Where(m => m.ChannelId == channel.Id && m.DeletedAt == null);
        List<Message> page;
        List<User> authors;
        if (after is { } a)
            (page, authors) = await CollectAsync(WithAttachments(db, live.Where(m => m.Id > a.Value).OrderBy(m => m.Id).Take(take)).AsAsyncEnumerable(), cancellationToken);
        else if (around is { } r)
        {
            // Newest first: all the newer ones, then as many older ones as the page has room for.
            var (both, bothAuthors) = await CollectAsync(AroundPage.For(db)(db, channel.Id, r.Value, (take + 1) / 2, take), cancellationToken);
            (page, authors) = (both.Count > take ? both.GetRange(0, take) : both, bothAuthors);
        }
        else // the common page (newest, or scrolling up): compiled
            (page, authors) = await CollectAsync(OlderPage.For(db)(db, channel.Id, before?.Value ?? long.MaxValue, take), cancellationToken);
        return TypedResults.Ok(await reader.ManyAsync(page, me.Id, cancellationToken, attachments: page.SelectMany(m => m.Attachments).ToList(), known: authors));
    }

    public static async Task<Ok<MessageObject>> Get(
        Snowflake channelId, Snowflake messageId, CurrentUser me, GuildAccess access, TogetherDb db, MessageReader reader, CancellationToken cancellationToken)
    {
        var (channel, _, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ReadMessageHistory) == 0)
            throw ApiException.MissingPermissions();
        return TypedResults.Ok(await reader.OneAsync(await LiveMessageAsync(db, channel.Id, messageId, cancellationToken), me.Id, cancellationToken));
    }

    /// <summary>
    /// Only the author edits; an edit is stamped and its mentions parsed again. Attachments can
    /// be removed (not added); a message keeps content or at least one attachment.
    /// </summary>
    public static async Task<Ok<MessageObject>> Edit(
        Snowflake channelId, Snowflake messageId, EditMessageRequest body, CurrentUser me, GuildAccess access, TogetherDb db,
        MessageReader reader, IEventBus events, TimeProvider time, FileJanitor files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        ArgumentNullException.ThrowIfNull(files);
        var (channel, member, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        var message = await LiveMessageAsync(db, channel.Id, messageId, cancellationToken, tracked: true);
        if (message.AuthorId != me.Id.Value)
            throw new ApiException(StatusCodes.Status403Forbidden, new ApiError(50005, "Cannot edit a message authored by another user"));
        if (message.Type is not (0 or 19))
            throw ApiException.BadRequest(ApiErrors.CannotExecuteOnSystemMessage, "Cannot execute action on a system message");
        if (!body.Content.HasValue && !body.Attachments.HasValue)
            return TypedResults.Ok(await reader.OneAsync(message, me.Id, cancellationToken));

        var attachments = await db.Attachments.Where(a => a.MessageId == message.Id).ToListAsync(cancellationToken);
        var removed = new List<Attachment>();
        if (body.Attachments.HasValue)
        {
            var keep = (body.Attachments.Value ?? []).Select(a => a.Id.ValueKind switch
            {
                JsonValueKind.String when long.TryParse(a.Id.GetString(), System.Globalization.CultureInfo.InvariantCulture, out var id) => id,
                JsonValueKind.Number when a.Id.TryGetInt64(out var id) => id,
                _ => 0,
            }).ToHashSet();
            removed = attachments.Where(a => !keep.Contains(a.Id)).ToList();
        }
        var content = body.Content.HasValue ? body.Content.Value ?? "" : message.Content;
        if (string.IsNullOrWhiteSpace(content) && attachments.Count == removed.Count)
            throw ApiException.BadRequest(50006, "Cannot send an empty message");
        if (content.Length > MaxContentLength)
            throw ApiException.Invalid("content", "BASE_TYPE_MAX_LENGTH", $"Must be {MaxContentLength} or fewer in length.");
        if (body.Content.HasValue)
        {
            var replyTo = message.ReferencedMessageId is { } r ? await db.Messages.AsNoTracking().SingleOrDefaultAsync(m => m.Id == r, cancellationToken) : null;
            var mentions = await ResolveMentionsAsync(db, member, permissions, content, replyTo, cancellationToken);
            message.Content = content;
            message.MentionUserIds = mentions.UserIds.ToArray();
            message.MentionRoleIds = mentions.RoleIds.ToArray();
            message.MentionEveryone = mentions.Everyone;
        }
        db.Attachments.RemoveRange(removed);
        message.EditedAt = time.GetUtcNow();
        await db.SaveChangesAsync(cancellationToken);
        files.Consider(removed.Select(a => a.StorageKey));
        var updated = await reader.OneAsync(message, me.Id, cancellationToken);
        events.Publish(GuildEvents.Message("MESSAGE_UPDATE", updated, MemberObject.From(member.Member, updated.Author, time)));
        return TypedResults.Ok(updated);
    }

    /// <summary>
    /// The author, or anyone with MANAGE_MESSAGES, deletes. Deletion is soft: the row stays (for
    /// replies and moderation) with its content cleared, and it is never returned again.
    /// </summary>
    public static async Task<NoContent> Delete(
        Snowflake channelId, Snowflake messageId, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, TimeProvider time, FileJanitor files, CancellationToken cancellationToken)
    {
        var (channel, member, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        var message = await LiveMessageAsync(db, channel.Id, messageId, cancellationToken, tracked: true);
        var own = message.AuthorId == me.Id.Value;
        if (!own && (permissions & P.ManageMessages) == 0)
            throw ApiException.MissingPermissions();
        SoftDelete(message, time.GetUtcNow());
        await db.Pins.Where(p => p.MessageId == message.Id).ExecuteDeleteAsync(cancellationToken);
        if (!own)
            audit.Record(member.Guild.Id, me.Id, AuditAction.MessageDelete, message.AuthorId,
                options: new Dictionary<string, string> { ["channel_id"] = channel.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), ["count"] = "1" });
        await db.SaveChangesAsync(cancellationToken);
        await files.ReleaseAsync(db.Attachments.Where(a => a.MessageId == message.Id), cancellationToken);
        events.Publish(GuildEvents.MessageDelete(member.Guild.Id, channel.Id, message.Id));
        return TypedResults.NoContent();
    }

    /// <summary>2–100 messages at once, none older than two weeks (Discord's limits), by moderators.</summary>
    public static async Task<NoContent> BulkDelete(
        Snowflake channelId, BulkDeleteRequest body, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit,
        IEventBus events, TimeProvider time, FileJanitor files, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(body);
        var (channel, member, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if ((permissions & P.ManageMessages) == 0)
            throw ApiException.MissingPermissions();
        var requested = (body.Messages ?? []).Select(m => m.Value).Distinct().ToList();
        if (requested.Count is < 2 or > 100)
            throw ApiException.Invalid("messages", "BASE_TYPE_BAD_LENGTH", "Must be between 2 and 100 in length.");
        var now = time.GetUtcNow();
        var oldest = Snowflake.FromTimestamp(now.AddDays(-14)).Value;
        if (requested.Any(id => id < oldest))
            throw ApiException.BadRequest(ApiErrors.MessageTooOldToBulkDelete, "You can only bulk delete messages that are under 14 days old.");
        var messages = await db.Messages.Where(m => m.ChannelId == channel.Id && requested.Contains(m.Id) && m.DeletedAt == null).ToListAsync(cancellationToken);
        foreach (var message in messages)
            SoftDelete(message, now);
        var ids = messages.Select(m => m.Id).ToList();
        await db.Pins.Where(p => ids.Contains(p.MessageId)).ExecuteDeleteAsync(cancellationToken);
        audit.Record(member.Guild.Id, me.Id, AuditAction.MessageBulkDelete, channel.Id,
            options: new Dictionary<string, string> { ["count"] = messages.Count.ToString(System.Globalization.CultureInfo.InvariantCulture) });
        await db.SaveChangesAsync(cancellationToken);
        await files.ReleaseAsync(db.Attachments.Where(a => ids.Contains(a.MessageId)), cancellationToken);
        if (ids.Count > 0)
            events.Publish(GuildEvents.MessageDeleteBulk(member.Guild.Id, channel.Id, ids));
        return TypedResults.NoContent();
    }

    internal static void SoftDelete(Message message, DateTimeOffset now)
    {
        message.DeletedAt = now;
        message.Content = "";
        message.MentionUserIds = [];
        message.MentionRoleIds = [];
        message.Pinned = false;
        message.EmbedsJson = null;
    }

    internal static async Task<Message> LiveMessageAsync(TogetherDb db, long channelId, long messageId, CancellationToken cancellationToken, bool tracked = false)
    {
        var query = tracked ? db.Messages : db.Messages.AsNoTracking();
        return await query.SingleOrDefaultAsync(m => m.Id == messageId && m.ChannelId == channelId && m.DeletedAt == null, cancellationToken)
            ?? throw ApiException.NotFound(ApiErrors.UnknownMessage, "Unknown Message");
    }

    /// <summary>
    /// Users and roles mentioned, kept only when they exist here; a role counts if it is mentionable
    /// or the author may mention everyone; @everyone/@here need MENTION_EVERYONE. A reply mentions
    /// the author of the message it answers.
    /// </summary>
    private static async Task<ParsedMentions> ResolveMentionsAsync(TogetherDb db, MemberAccess member, P permissions, string content,
        Message? replyTo, CancellationToken cancellationToken)
    {
        var parsed = Mentions.Parse(content);
        var candidates = parsed.UserIds.ToList();
        if (replyTo is not null && replyTo.AuthorId != member.UserId && !candidates.Contains(replyTo.AuthorId))
            candidates.Add(replyTo.AuthorId);
        var users = candidates.Count == 0 ? []
            : await db.Users.Where(u => candidates.Contains(u.Id)).Select(u => u.Id).ToListAsync(cancellationToken);
        var mayMentionEveryone = (permissions & P.MentionEveryone) != 0;
        var roles = parsed.RoleIds.Where(id => member.Roles.TryGetValue(id, out var role) && id != member.Guild.Id && (role.Mentionable || mayMentionEveryone)).ToList();
        return new ParsedMentions(candidates.Where(users.Contains).ToList(), roles, parsed.Everyone && mayMentionEveryone);
    }

    private static string? ReadNonce(JsonElement nonce, FormErrors errors)
    {
        // Discord accepts a string or an integer nonce, up to 25 characters.
        var value = nonce.ValueKind switch
        {
            JsonValueKind.Undefined or JsonValueKind.Null => null,
            JsonValueKind.String => nonce.GetString(),
            JsonValueKind.Number when nonce.TryGetInt64(out var n) => n.ToString(System.Globalization.CultureInfo.InvariantCulture),
            _ => "\0invalid",
        };
        if (value is { Length: > MaxNonceLength } || value == "\0invalid")
        {
            errors.Add("nonce", "BASE_TYPE_MAX_LENGTH", $"Must be a string or integer of at most {MaxNonceLength} characters.");
            return null;
        }
        return value;
    }

    /// <summary><c>POST /channels/{id}/typing</c>: TYPING_START to those who can see the channel.</summary>
    public static async Task<NoContent> Typing(
        Snowflake channelId, CurrentUser me, GuildAccess access, IEventBus events, TimeProvider time, CancellationToken cancellationToken)
    {
        var (channel, member, permissions) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        if (channel.Type != ChannelType.GuildText)
            throw ApiException.BadRequest(ApiErrors.CannotSendInNonTextChannel, "Cannot send messages in a non-text channel");
        if ((permissions & P.SendMessages) == 0)
            throw ApiException.MissingPermissions();
        // The member comes with their user (one join in the access check).
        events.Publish(GuildEvents.TypingStart(member.Guild.Id, channel.Id, me.Id, time.GetUtcNow().ToUnixTimeSeconds(),
            MemberObject.From(member.Member, Users.UserObject.From(member.Member.User!), time)));
        return TypedResults.NoContent();
    }
}
