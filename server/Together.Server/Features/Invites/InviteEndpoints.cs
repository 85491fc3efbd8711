using System.Security.Cryptography;
using System.Text.Json.Serialization;
using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.AspNetCore.Mvc;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Features.Users;
using Together.Server.Infrastructure;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Invites;

public sealed record InviteGuildObject(Snowflake Id, string Name, string? Icon, string? Splash, string? Banner, string? Description,
    IReadOnlyList<string> Features, int VerificationLevel, string? VanityUrlCode, int NsfwLevel, int PremiumSubscriptionCount);

public sealed record InviteChannelObject(Snowflake Id, string? Name, int Type);

/// <summary>Discord's invite object; the metadata fields appear where Discord shows them (lists and creation).</summary>
public sealed record InviteObject(
    int Type,
    string Code,
    InviteGuildObject Guild,
    InviteChannelObject Channel,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] UserObject? Inviter,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? ApproximateMemberCount,
    DateTimeOffset? ExpiresAt,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? Uses,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxUses,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] int? MaxAge,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] bool? Temporary,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] DateTimeOffset? CreatedAt)
{
    public static InviteObject From(Invite invite, bool metadata, int? memberCount = null)
    {
        ArgumentNullException.ThrowIfNull(invite);
        var guild = invite.Guild ?? throw new InvalidOperationException("invite loaded without guild");
        var channel = invite.Channel ?? throw new InvalidOperationException("invite loaded without channel");
        return new(0, invite.Code,
            new InviteGuildObject(guild.Id, guild.Name, guild.IconHash, null, null, guild.Description, [], guild.VerificationLevel, null, 0, 0),
            new InviteChannelObject(channel.Id, channel.Name, (int)channel.Type),
            invite.Inviter is null ? null : UserObject.From(invite.Inviter),
            memberCount, invite.ExpiresAt,
            metadata ? invite.Uses : null, metadata ? invite.MaxUses : null, metadata ? invite.MaxAge : null,
            metadata ? invite.Temporary : null, metadata ? invite.CreatedAt : null);
    }
}

public sealed record CreateInviteRequest(int? MaxAge, int? MaxUses, bool? Temporary, bool? Unique);

public static class InviteEndpoints
{
    private const string Alphabet = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";

    /// <summary>8 characters from a CSPRNG: 62^8 ≈ 2×10^14 codes, too many to guess under the lookup rate limit.</summary>
    public static string NewCode() => RandomNumberGenerator.GetString(Alphabet, 8);

    public static async Task<Ok<InviteObject>> Create(
        Snowflake channelId, CreateInviteRequest? body, CurrentUser me, GuildAccess access, TogetherDb db, TimeProvider time,
        AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var (channel, member, _) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        member.RequireIn(channel, P.CreateInstantInvite);
        if (channel.Type == ChannelType.GuildCategory)
            throw ApiException.BadRequest(ApiErrors.CannotExecuteOnChannelType, "Cannot execute action on this channel type");
        var maxAge = body?.MaxAge ?? 86_400;
        var maxUses = body?.MaxUses ?? 0;
        var temporary = body?.Temporary ?? false;
        var errors = new FormErrors();
        if (maxAge is < 0 or > 604_800)
            errors.Add("max_age", "NUMBER_TYPE_MAX", "Must be between 0 and 604800.");
        if (maxUses is < 0 or > 100)
            errors.Add("max_uses", "NUMBER_TYPE_MAX", "Must be between 0 and 100.");
        if (errors.Any)
            throw ApiException.Invalid(errors);

        var now = time.GetUtcNow();
        if (body?.Unique != true)
        {
            // Like Discord: without "unique", an identical live invite by the same person is reused.
            var reusable = await Query(db).Where(i => i.ChannelId == channel.Id && i.InviterId == me.Id.Value
                    && i.MaxAge == maxAge && i.MaxUses == maxUses && i.Temporary == temporary && i.Uses == 0
                    && (i.ExpiresAt == null || i.ExpiresAt > now))
                .FirstOrDefaultAsync(cancellationToken);
            if (reusable is not null)
                return TypedResults.Ok(InviteObject.From(reusable, metadata: true));
        }
        var invite = new Invite
        {
            Code = NewCode(),
            GuildId = member.Guild.Id,
            ChannelId = channel.Id,
            InviterId = me.Id,
            MaxAge = maxAge,
            MaxUses = maxUses,
            Temporary = temporary,
            CreatedAt = now,
            ExpiresAt = maxAge == 0 ? null : now.AddSeconds(maxAge),
        };
        db.Invites.Add(invite);
        audit.Record(member.Guild.Id, me.Id, AuditAction.InviteCreate, null, AuditFields(invite, created: true));
        await db.SaveChangesAsync(cancellationToken);
        db.ChangeTracker.Clear();
        var created = InviteObject.From(await Query(db).SingleAsync(i => i.Code == invite.Code, cancellationToken), metadata: true);
        events.Publish(GuildEvents.InviteCreate(member.Guild.Id, channel.Id, created));
        return TypedResults.Ok(created);
    }

    public static async Task<Ok<List<InviteObject>>> ListForChannel(
        Snowflake channelId, CurrentUser me, GuildAccess access, TogetherDb db, TimeProvider time, CancellationToken cancellationToken)
    {
        var (channel, member, _) = await access.ChannelAsync(channelId, me.Id, cancellationToken);
        member.RequireIn(channel, P.ManageChannels);
        var now = time.GetUtcNow();
        var invites = await Query(db).Where(i => i.ChannelId == channel.Id && (i.ExpiresAt == null || i.ExpiresAt > now))
            .OrderBy(i => i.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(invites.Select(i => InviteObject.From(i, metadata: true)).ToList());
    }

    public static async Task<Ok<List<InviteObject>>> ListForGuild(
        Snowflake guildId, CurrentUser me, GuildAccess access, TogetherDb db, TimeProvider time, CancellationToken cancellationToken)
    {
        (await access.MemberAsync(guildId, me.Id, cancellationToken)).Require(P.ManageGuild);
        var now = time.GetUtcNow();
        var invites = await Query(db).Where(i => i.GuildId == guildId.Value && (i.ExpiresAt == null || i.ExpiresAt > now))
            .OrderBy(i => i.CreatedAt).ToListAsync(cancellationToken);
        return TypedResults.Ok(invites.Select(i => InviteObject.From(i, metadata: true)).ToList());
    }

    /// <summary>
    /// The preview a person sees before joining; needs no account, as on Discord. The member count
    /// only with <c>with_counts=true</c>, as Discord does; there is no presence count.
    /// </summary>
    public static async Task<Ok<InviteObject>> Get(
        string code, [FromQuery(Name = "with_counts")] bool? withCounts, TogetherDb db, TimeProvider time, CancellationToken cancellationToken)
    {
        var invite = await LiveAsync(db, code, time, cancellationToken);
        int? count = withCounts == true ? await db.GuildMembers.CountAsync(m => m.GuildId == invite.GuildId, cancellationToken) : null;
        return TypedResults.Ok(InviteObject.From(invite, metadata: false, count));
    }

    /// <summary>
    /// Joins the invite's guild. Banned users are refused (40007). Uses are counted with a
    /// conditional update, so a max_uses invite admits exactly that many people under a rush.
    /// </summary>
    public static async Task<Ok<InviteObject>> Accept(
        string code, CurrentUser me, TogetherDb db, TimeProvider time, ReadyBuilder gateway, IEventBus events, PresencePublisher presence,
        CancellationToken cancellationToken)
    {
        var invite = await LiveAsync(db, code, time, cancellationToken);
        if (await db.Bans.AnyAsync(b => b.GuildId == invite.GuildId && b.UserId == me.Id.Value, cancellationToken))
            throw new ApiException(StatusCodes.Status403Forbidden, new ApiError(ApiErrors.UserBanned, "The user is banned from this guild."));
        if (!await db.GuildMembers.AnyAsync(m => m.GuildId == invite.GuildId && m.UserId == me.Id.Value, cancellationToken))
        {
            if (await db.GuildMembers.CountAsync(m => m.UserId == me.Id.Value, cancellationToken) >= Guilds.CreateGuild.MaxGuildsPerUser)
                throw ApiException.BadRequest(ApiErrors.MaximumGuilds, $"Maximum number of guilds reached ({Guilds.CreateGuild.MaxGuildsPerUser})");
            await using var transaction = await db.Database.BeginTransactionAsync(cancellationToken);
            var claimed = await db.Invites
                .Where(i => i.Code == invite.Code && (i.MaxUses == 0 || i.Uses < i.MaxUses))
                .ExecuteUpdateAsync(i => i.SetProperty(x => x.Uses, x => x.Uses + 1), cancellationToken);
            if (claimed == 0)
                throw ApiException.NotFound(ApiErrors.UnknownInvite, "Unknown Invite");
            db.GuildMembers.Add(new GuildMember { GuildId = invite.GuildId, UserId = me.Id, JoinedAt = time.GetUtcNow(), JoinedWithInviteCode = invite.Code });
            try
            {
                await db.SaveChangesAsync(cancellationToken);
            }
            catch (DbUpdateException)
            {
                // The same user joined twice at once; the first request did the work.
                await transaction.RollbackAsync(cancellationToken);
                db.ChangeTracker.Clear();
                return TypedResults.Ok(InviteObject.From(invite, metadata: false));
            }
            await transaction.CommitAsync(cancellationToken);
            if (await gateway.JoinedAsync(invite.GuildId, me.Id, cancellationToken) is { } joined)
                events.Publish(joined);
            db.ChangeTracker.Clear();
            var member = await MemberEndpoints.LoadAsync(db, invite.GuildId, me.Id, cancellationToken);
            events.Publish(GuildEvents.MemberAdd(invite.GuildId, MemberObject.From(member, time)));
            presence.AnnounceTo(invite.GuildId, me.Id);
        }
        return TypedResults.Ok(InviteObject.From(invite, metadata: false));
    }

    /// <summary>
    /// MANAGE_GUILD deletes any invite of the guild, even one to a channel the caller cannot see;
    /// otherwise MANAGE_CHANNELS in the invite's channel, as on Discord.
    /// </summary>
    public static async Task<Ok<InviteObject>> Delete(
        string code, CurrentUser me, GuildAccess access, TogetherDb db, AuditLogWriter audit, IEventBus events, CancellationToken cancellationToken)
    {
        var invite = await Query(db).AsTracking().Include(i => i.Channel!).ThenInclude(c => c.PermissionOverwrites)
            .SingleOrDefaultAsync(i => i.Code == code, cancellationToken)
            ?? throw ApiException.NotFound(ApiErrors.UnknownInvite, "Unknown Invite");
        var member = await access.MemberAsync(invite.GuildId, me.Id, cancellationToken);
        var channel = invite.Channel!;
        if (!member.Has(P.ManageGuild))
            member.RequireIn(channel, P.ManageChannels);
        var result = InviteObject.From(invite, metadata: true);
        db.Invites.Remove(invite);
        audit.Record(member.Guild.Id, me.Id, AuditAction.InviteDelete, null, AuditFields(invite, created: false));
        await db.SaveChangesAsync(cancellationToken);
        events.Publish(GuildEvents.InviteDelete(member.Guild.Id, channel.Id, invite.Code));
        return TypedResults.Ok(result);
    }

    // Discord's invite entries: new values on create, old values on delete, never an invented "before".
    private static IReadOnlyList<AuditChange> AuditFields(Invite invite, bool created)
    {
        var fields = new (string Key, object? Value)[]
        {
            ("code", invite.Code), ("channel_id", invite.ChannelId), ("inviter_id", invite.InviterId), ("uses", invite.Uses),
            ("max_uses", invite.MaxUses), ("max_age", invite.MaxAge), ("temporary", invite.Temporary),
        };
        var changes = new AuditChanges();
        foreach (var (key, value) in fields)
            _ = created ? changes.Created(key, value) : changes.Deleted(key, value);
        return changes.List;
    }

    private static IQueryable<Invite> Query(TogetherDb db) =>
        db.Invites.AsNoTracking().Include(i => i.Guild).Include(i => i.Channel).Include(i => i.Inviter);

    /// <summary>An invite that exists, has not expired and has uses left: else 404 Unknown Invite.</summary>
    private static async Task<Invite> LiveAsync(TogetherDb db, string code, TimeProvider time, CancellationToken cancellationToken)
    {
        var now = time.GetUtcNow();
        if (code.Length is 0 or > 32)
            throw ApiException.NotFound(ApiErrors.UnknownInvite, "Unknown Invite");
        var invite = await Query(db).SingleOrDefaultAsync(i => i.Code == code, cancellationToken);
        return invite is null || invite.ExpiresAt <= now || invite.MaxUses > 0 && invite.Uses >= invite.MaxUses
            ? throw ApiException.NotFound(ApiErrors.UnknownInvite, "Unknown Invite")
            : invite;
    }
}
