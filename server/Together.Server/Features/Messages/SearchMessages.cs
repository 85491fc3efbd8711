using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Search;
using Together.Data.Snowflakes;
using Together.Server.Features.Auth;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Messages;

/// <summary>Discord's search response: each hit is an array (Discord once sent context around it).</summary>
public sealed record SearchResultObject(int TotalResults, IReadOnlyList<IReadOnlyList<MessageObject>> Messages, bool DoingDeepHistoricalIndex);

/// <summary>
/// <c>GET /guilds/{id}/messages/search</c>: full text (<c>content</c>) plus Discord's filters
/// (<c>author_id</c>, <c>channel_id</c>, <c>mentions</c>, <c>has</c>, <c>min_id</c>/<c>max_id</c>,
/// also spelled <c>after</c>/<c>before</c>), newest first, <c>limit</c> ≤ 25 with <c>offset</c>.
/// Only channels where the searcher can read history are searched.
/// </summary>
public static class SearchMessages
{
    public const int MaxLimit = 25;
    public const int MaxOffset = 9975;

    /// <summary>
    /// Counting stops here: no page beyond it can be asked for (<see cref="MaxOffset"/> +
    /// <see cref="MaxLimit"/>), and an exact count of a word in 5 % of a million messages reads
    /// 50,000 rows (~110 ms) to print a number. <c>total_results</c> is then 10,000 and clients
    /// show "10,000+".
    /// </summary>
    public const int MaxCounted = MaxOffset + MaxLimit;

    /// <summary>Above this many hits a search counts as common (see <see cref="IMessageSearch.Matching"/>).</summary>
    public const int CommonThreshold = 2_000;

    public static async Task<Ok<SearchResultObject>> Handle(
        Snowflake guildId,
        string? content,
        [FromQuery(Name = "author_id")] Snowflake[]? authorIds,
        [FromQuery(Name = "channel_id")] Snowflake[]? channelIds,
        Snowflake[]? mentions,
        string[]? has,
        [FromQuery(Name = "min_id")] Snowflake? minId,
        [FromQuery(Name = "max_id")] Snowflake? maxId,
        Snowflake? after,
        Snowflake? before,
        [FromQuery(Name = "sort_order")] string? sortOrder,
        int? limit,
        int? offset,
        CurrentUser me,
        GuildAccess access,
        TogetherDb db,
        IMessageSearch search,
        MessageReader reader,
        CancellationToken cancellationToken)
    {
        var member = await access.MemberAsync(guildId, me.Id, cancellationToken);
        var errors = new FormErrors();
        var take = limit ?? MaxLimit;
        var skip = offset ?? 0;
        if (take is < 1 or > MaxLimit)
            errors.Add("limit", "NUMBER_TYPE_MAX", $"Must be between 1 and {MaxLimit}.");
        if (skip is < 0 or > MaxOffset)
            errors.Add("offset", "NUMBER_TYPE_MAX", $"Must be between 0 and {MaxOffset}.");
        if (content is { Length: > 1024 })
            errors.Length("content", 0, 1024);
        if (sortOrder is not (null or "asc" or "desc"))
            errors.Add("sort_order", "BASE_TYPE_CHOICES", "Value must be one of asc, desc.");
        var kinds = has ?? [];
        if (kinds.Any(k => k is not ("link" or "file" or "image" or "video" or "sound" or "embed")))
            errors.Add("has", "BASE_TYPE_CHOICES", "Value must be one of link, file, image, video, sound, embed.");
        if (errors.Any)
            throw ApiException.Invalid(errors);

        var channels = await db.Channels.AsNoTracking().Include(c => c.PermissionOverwrites)
            .Where(c => c.GuildId == guildId.Value && c.Type == ChannelType.GuildText).ToListAsync(cancellationToken);
        var readable = channels.Where(c => (member.In(c) & (P.ViewChannel | P.ReadMessageHistory)) == (P.ViewChannel | P.ReadMessageHistory))
            .Select(c => c.Id).ToList();
        if (channelIds is { Length: > 0 })
        {
            var wanted = channelIds.Select(c => c.Value).ToHashSet();
            readable = readable.Where(wanted.Contains).ToList();
        }

        IQueryable<Message> Filtered(bool common)
        {
            var query = string.IsNullOrWhiteSpace(content) ? db.Messages.AsNoTracking() : search.Matching(db, content.Trim(), common).AsNoTracking();
            query = query.Where(m => m.GuildId == guildId.Value && m.DeletedAt == null && readable.Contains(m.ChannelId));
            if (authorIds is { Length: > 0 })
            {
                var authors = authorIds.Select(a => a.Value).ToList();
                query = query.Where(m => authors.Contains(m.AuthorId));
            }
            foreach (var mentioned in (mentions ?? []).Select(m => m.Value).Distinct())
                query = query.Where(m => m.MentionUserIds.Contains(mentioned));
            if ((minId ?? after) is { } lower)
                query = query.Where(m => m.Id > lower.Value);
            if ((maxId ?? before) is { } upper)
                query = query.Where(m => m.Id < upper.Value);
            foreach (var kind in kinds.Distinct())
                query = kind switch
                {
                    "link" => query.Where(m => m.Content.Contains("http://") || m.Content.Contains("https://")),
                    "file" => query.Where(m => m.Attachments.Any()),
                    "image" => query.Where(m => m.Attachments.Any(a => a.ContentType.StartsWith("image/"))),
                    "video" => query.Where(m => m.Attachments.Any(a => a.ContentType.StartsWith("video/"))),
                    "sound" => query.Where(m => m.Attachments.Any(a => a.ContentType.StartsWith("audio/"))),
                    _ => query.Where(m => m.EmbedsJson != null),
                };
            return query;
        }

        // Counting reads every hit anyway: the plain form lets the planner use the index bitmap.
        var total = readable.Count == 0 ? 0 : await Filtered(common: true).Take(MaxCounted).CountAsync(cancellationToken);
        // Many hits: the newest page is found fastest by walking messages newest first; few hits:
        // by collecting the hits from the full-text index first (docs/performance.md).
        var matching = Filtered(common: total > CommonThreshold);
        var ordered = sortOrder == "asc" ? matching.OrderBy(m => m.Id) : matching.OrderByDescending(m => m.Id);
        var page = total == 0 ? [] : await ordered.Skip(skip).Take(take).ToListAsync(cancellationToken);
        var hits = await reader.ManyAsync(page, me.Id, cancellationToken);
        return TypedResults.Ok(new SearchResultObject(total, hits.Select(h => (IReadOnlyList<MessageObject>)[h]).ToList(), false));
    }
}
