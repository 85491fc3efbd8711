using System.Text.Json;
using Together.Data.Snowflakes;
using Together.Server.Features.Channels;
using Together.Server.Features.Guilds;
using Together.Server.Features.Members;
using Together.Server.Features.Messages;
using Together.Server.Features.Roles;
using Together.Server.Features.Users;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Features.Gateway;

public sealed record GuildIdPayload(Snowflake GuildId);

public sealed record UnavailableGuild(Snowflake Id, bool Unavailable);

public sealed record RoleEventPayload(Snowflake GuildId, RoleObject Role);

public sealed record RoleDeletePayload(Snowflake GuildId, Snowflake RoleId);

public sealed record MemberRemovePayload(Snowflake GuildId, UserObject User);

public sealed record BanEventPayload(Snowflake GuildId, UserObject User);

public sealed record MessageDeletePayload(Snowflake Id, Snowflake ChannelId, Snowflake GuildId);

public sealed record MessageDeleteBulkPayload(IReadOnlyList<Snowflake> Ids, Snowflake ChannelId, Snowflake GuildId);

public sealed record ReactionEventPayload(Snowflake UserId, Snowflake ChannelId, Snowflake MessageId, Snowflake GuildId, EmojiObject Emoji, bool Burst, int Type);

public sealed record ReactionRemoveAllPayload(Snowflake ChannelId, Snowflake MessageId, Snowflake GuildId);

public sealed record ReactionRemoveEmojiPayload(Snowflake ChannelId, Snowflake GuildId, Snowflake MessageId, EmojiObject Emoji);

public sealed record PinsUpdatePayload(Snowflake GuildId, Snowflake ChannelId, DateTimeOffset? LastPinTimestamp);

public sealed record TypingStartPayload(Snowflake ChannelId, Snowflake GuildId, Snowflake UserId, long Timestamp, MemberObject? Member);

public sealed record InviteDeletePayload(Snowflake ChannelId, Snowflake GuildId, string Code);

/// <summary>The dispatches REST handlers publish after a change commits, shaped as Discord sends them.</summary>
public static class GuildEvents
{
    public static GatewayEvent GuildUpdate(GuildObject guild, bool ownerChanged) =>
        Events.ToGuild("GUILD_UPDATE", guild.Id, guild, Intents.Guilds, change: ownerChanged ? StateChange.Guild : StateChange.None);

    /// <summary>To every member (named, since the guild's subscriptions go with it).</summary>
    public static GatewayEvent GuildDelete(long guildId, IReadOnlyList<long> memberIds) => new()
    {
        Name = "GUILD_DELETE",
        Payload = Events.Serialize(new UnavailableGuild(guildId, false)),
        Intent = Intents.Guilds,
        GuildId = guildId,
        UserIds = memberIds,
        Change = StateChange.GuildDeleted,
        ChangeAfterDelivery = true,
    };

    /// <summary>A user joined or created a guild: their sessions subscribe and get the whole guild.</summary>
    public static GatewayEvent GuildCreateFor(long guildId, long userId, byte[] guildCreate) => new()
    {
        Name = "GUILD_CREATE",
        Payload = guildCreate,
        Intent = Intents.Guilds,
        UserIds = [userId],
        NamedUsersOnly = true,
        GuildId = guildId,
        Change = StateChange.Joined,
        MemberId = userId,
    };

    /// <summary>The member left, was kicked or banned: others see them go, they lose the guild.</summary>
    public static IEnumerable<GatewayEvent> MemberGone(long guildId, UserObject user)
    {
        yield return Events.ToGuild("GUILD_MEMBER_REMOVE", guildId, new MemberRemovePayload(guildId, user), Intents.GuildMembers,
            change: StateChange.Member, memberId: user.Id);
        yield return Events.ToUsers("GUILD_DELETE", [user.Id.Value], new UnavailableGuild(guildId, false));
    }

    public static GatewayEvent MemberAdd(long guildId, MemberObject member) => new()
    {
        Name = "GUILD_MEMBER_ADD",
        Payload = GatewayJson.ObjectWith(member, ("guild_id", new Snowflake(guildId))),
        Intent = Intents.GuildMembers,
        GuildId = guildId,
        Change = StateChange.Member,
        MemberId = member.User.Id,
    };

    public static GatewayEvent MemberUpdate(long guildId, MemberObject member) => new()
    {
        Name = "GUILD_MEMBER_UPDATE",
        Payload = GatewayJson.ObjectWith(member, ("guild_id", new Snowflake(guildId))),
        Intent = Intents.GuildMembers,
        GuildId = guildId,
        Change = StateChange.Member,
        MemberId = member.User.Id,
        // A member always hears about their own changes, whatever their intents.
        UserIds = [member.User.Id.Value],
    };

    public static GatewayEvent RoleCreate(long guildId, RoleObject role) =>
        Events.ToGuild("GUILD_ROLE_CREATE", guildId, new RoleEventPayload(guildId, role), Intents.Guilds, change: StateChange.Guild);

    public static GatewayEvent RoleUpdate(long guildId, RoleObject role) =>
        Events.ToGuild("GUILD_ROLE_UPDATE", guildId, new RoleEventPayload(guildId, role), Intents.Guilds, change: StateChange.Guild);

    public static GatewayEvent RoleDelete(long guildId, long roleId) =>
        Events.ToGuild("GUILD_ROLE_DELETE", guildId, new RoleDeletePayload(guildId, roleId), Intents.Guilds, change: StateChange.Guild);

    public static GatewayEvent ChannelCreate(ChannelObject channel) => new()
    {
        Name = "CHANNEL_CREATE",
        Payload = Events.Serialize(channel),
        Intent = Intents.Guilds,
        GuildId = channel.GuildId!.Value,
        ChannelId = channel.Id,
        Required = P.ViewChannel,
        Change = StateChange.Guild,
    };

    /// <summary>Who can see the channel afterwards gets the update; who just lost sight of it, a delete.</summary>
    public static GatewayEvent ChannelUpdate(ChannelObject channel) => new()
    {
        Name = "CHANNEL_UPDATE",
        Payload = Events.Serialize(channel),
        Intent = Intents.Guilds,
        GuildId = channel.GuildId!.Value,
        ChannelId = channel.Id,
        Required = P.ViewChannel,
        Change = StateChange.Guild,
        ForLostAccess = ("CHANNEL_DELETE", Events.Serialize(channel)),
    };

    public static GatewayEvent ChannelDelete(ChannelObject channel) => new()
    {
        Name = "CHANNEL_DELETE",
        Payload = Events.Serialize(channel),
        Intent = Intents.Guilds,
        GuildId = channel.GuildId!.Value,
        ChannelId = channel.Id,
        Required = P.ViewChannel,
        Change = StateChange.Guild,
        ChangeAfterDelivery = true,
    };

    public static GatewayEvent BanAdd(long guildId, UserObject user) =>
        Events.ToGuild("GUILD_BAN_ADD", guildId, new BanEventPayload(guildId, user), Intents.GuildModeration, P.BanMembers);

    public static GatewayEvent BanRemove(long guildId, UserObject user) =>
        Events.ToGuild("GUILD_BAN_REMOVE", guildId, new BanEventPayload(guildId, user), Intents.GuildModeration, P.BanMembers);

    public static GatewayEvent InviteCreate(long guildId, long channelId, Invites.InviteObject invite) => new()
    {
        Name = "INVITE_CREATE",
        Payload = GatewayJson.ObjectWith(new
        {
            channel_id = new Snowflake(channelId),
            code = invite.Code,
            created_at = invite.CreatedAt,
            guild_id = new Snowflake(guildId),
            inviter = invite.Inviter,
            max_age = invite.MaxAge,
            max_uses = invite.MaxUses,
            temporary = invite.Temporary,
            uses = invite.Uses,
            expires_at = invite.ExpiresAt,
        }),
        Intent = Intents.GuildInvites,
        GuildId = guildId,
        ChannelId = channelId,
        Required = P.ViewChannel | P.ManageChannels,
    };

    public static GatewayEvent InviteDelete(long guildId, long channelId, string code) =>
        Events.ToChannel("INVITE_DELETE", guildId, channelId, new InviteDeletePayload(channelId, guildId, code), Intents.GuildInvites, P.ManageChannels);

    /// <summary>
    /// MESSAGE_CREATE/UPDATE carry the author's member object. Connections without the
    /// MESSAGE_CONTENT intent get the content blanked unless they wrote or are mentioned in it.
    /// </summary>
    public static GatewayEvent Message(string name, MessageObject message, MemberObject? author) => new()
    {
        Name = name,
        Payload = GatewayJson.ObjectWith(message, ("member", WithoutUser(author))),
        ContentGated = true,
        Intent = Intents.GuildMessages,
        GuildId = message.GuildId!.Value,
        ChannelId = message.ChannelId,
        Required = P.ViewChannel,
        ContentVisibleTo = [message.Author.Id.Value, .. message.Mentions.Select(m => m.Id.Value)],
    };

    /// <summary>
    /// Discord's partial member in message events has no "user" key at all: libraries test for
    /// the key, not for null (discord.js crashes on "user": null).
    /// </summary>
    private sealed record PartialMember(
        string? Nick, string? Avatar, IReadOnlyList<Snowflake> Roles, DateTimeOffset JoinedAt, DateTimeOffset? PremiumSince,
        bool Deaf, bool Mute, int Flags, bool Pending, DateTimeOffset? CommunicationDisabledUntil);

    // Serialised straight from a record: building a JSON DOM of the member and removing "user"
    // cost ~5 KB of garbage per message sent.
    private static PartialMember? WithoutUser(MemberObject? m) => m is null ? null
        : new(m.Nick, m.Avatar, m.Roles, m.JoinedAt, m.PremiumSince, m.Deaf, m.Mute, m.Flags, m.Pending, m.CommunicationDisabledUntil);

    public static GatewayEvent MessageDelete(long guildId, long channelId, long messageId) =>
        Events.ToChannel("MESSAGE_DELETE", guildId, channelId, new MessageDeletePayload(messageId, channelId, guildId), Intents.GuildMessages);

    public static GatewayEvent MessageDeleteBulk(long guildId, long channelId, IReadOnlyList<long> ids) =>
        Events.ToChannel("MESSAGE_DELETE_BULK", guildId, channelId,
            new MessageDeleteBulkPayload(ids.Select(id => new Snowflake(id)).ToList(), channelId, guildId), Intents.GuildMessages);

    public static GatewayEvent ReactionAdd(long guildId, long channelId, long messageId, long userId, string emoji, long messageAuthorId, MemberObject? member) => new()
    {
        Name = "MESSAGE_REACTION_ADD",
        Payload = GatewayJson.ObjectWith(new ReactionEventPayload(userId, channelId, messageId, guildId, new EmojiObject(null, emoji), false, 0),
            ("member", member), ("message_author_id", new Snowflake(messageAuthorId))),
        Intent = Intents.GuildMessageReactions,
        GuildId = guildId,
        ChannelId = channelId,
        Required = P.ViewChannel,
    };

    public static GatewayEvent ReactionRemove(long guildId, long channelId, long messageId, long userId, string emoji) =>
        Events.ToChannel("MESSAGE_REACTION_REMOVE", guildId, channelId,
            new ReactionEventPayload(userId, channelId, messageId, guildId, new EmojiObject(null, emoji), false, 0), Intents.GuildMessageReactions);

    public static GatewayEvent ReactionRemoveAll(long guildId, long channelId, long messageId) =>
        Events.ToChannel("MESSAGE_REACTION_REMOVE_ALL", guildId, channelId, new ReactionRemoveAllPayload(channelId, messageId, guildId), Intents.GuildMessageReactions);

    public static GatewayEvent ReactionRemoveEmoji(long guildId, long channelId, long messageId, string emoji) =>
        Events.ToChannel("MESSAGE_REACTION_REMOVE_EMOJI", guildId, channelId,
            new ReactionRemoveEmojiPayload(channelId, guildId, messageId, new EmojiObject(null, emoji)), Intents.GuildMessageReactions);

    public static GatewayEvent PinsUpdate(long guildId, long channelId, DateTimeOffset? lastPin) =>
        Events.ToChannel("CHANNEL_PINS_UPDATE", guildId, channelId, new PinsUpdatePayload(guildId, channelId, lastPin), Intents.Guilds);

    public static GatewayEvent TypingStart(long guildId, long channelId, long userId, long timestamp, MemberObject? member) => new()
    {
        Name = "TYPING_START",
        Payload = Events.Serialize(new TypingStartPayload(channelId, guildId, userId, timestamp, member)),
        Intent = Intents.GuildMessageTyping,
        GuildId = guildId,
        ChannelId = channelId,
        Required = P.ViewChannel,
        ExceptUserId = userId,
    };

    public static GatewayEvent UserUpdate(CurrentUserObject user) => Events.ToUsers("USER_UPDATE", [user.Id.Value], user);
}
