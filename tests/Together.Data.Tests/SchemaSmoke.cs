using Microsoft.EntityFrameworkCore;
using Together.Data.Entities;
using Together.Data.Snowflakes;

namespace Together.Data.Tests;

/// <summary>Writes one of everything through the real schema, reads it back, then deletes the guild.</summary>
internal static class SchemaSmoke
{
    public static async Task WriteAndReadEverythingAsync(TogetherDb db, CancellationToken ct)
    {
        var ids = new SnowflakeGenerator(TimeProvider.System, 0, 0);
        var now = DateTimeOffset.UtcNow;
        var owner = new User { Id = ids.Next(), Username = "Owner", NormalizedUsername = "owner", PasswordHash = "x", CreatedAt = now };
        var member = new User { Id = ids.Next(), Username = "member", NormalizedUsername = "member", Email = "m@example.com", NormalizedEmail = "m@example.com", PasswordHash = "x", CreatedAt = now };
        db.Users.AddRange(owner, member);
        var guild = new Guild { Id = ids.Next(), Name = "LAN party", OwnerId = owner.Id, CreatedAt = now };
        var everyone = new Role { Id = guild.Id, GuildId = guild.Id, Name = "@everyone", Permissions = 0x6_3584_C0E3_F6FF };
        var mods = new Role { Id = ids.Next(), GuildId = guild.Id, Name = "mods", Position = 1, Permissions = long.MinValue | 8 };
        var category = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildCategory, Name = "Text Channels" };
        var text = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildText, Name = "general", ParentId = category.Id };
        var voice = new Channel { Id = ids.Next(), GuildId = guild.Id, Type = ChannelType.GuildVoice, Name = "General", Bitrate = 64000, UserLimit = 10 };
        guild.SystemChannelId = text.Id;
        db.Guilds.Add(guild);
        db.Roles.AddRange(everyone, mods);
        db.Channels.AddRange(category, text, voice);
        db.GuildMembers.AddRange(
            new GuildMember { GuildId = guild.Id, UserId = owner.Id, JoinedAt = now },
            new GuildMember { GuildId = guild.Id, UserId = member.Id, JoinedAt = now, Nick = "mem", CommunicationDisabledUntil = now.AddMinutes(5) });
        db.MemberRoles.Add(new MemberRole { GuildId = guild.Id, UserId = member.Id, RoleId = mods.Id });
        db.PermissionOverwrites.Add(new PermissionOverwrite { ChannelId = text.Id, TargetId = everyone.Id, Type = OverwriteType.Role, Deny = 0x800 });
        var message = new Message { Id = ids.Next(), ChannelId = text.Id, GuildId = guild.Id, AuthorId = member.Id, Content = "gg", MentionUserIds = [owner.Id] };
        var reply = new Message { Id = ids.Next(), ChannelId = text.Id, GuildId = guild.Id, AuthorId = owner.Id, Content = "wp", Type = 19, ReferencedMessageId = message.Id, EditedAt = now };
        db.Messages.AddRange(message, reply);
        db.Attachments.Add(new Attachment { Id = ids.Next(), MessageId = message.Id, ChannelId = text.Id, Filename = "shot.png", ContentType = "image/png", Size = 1234, StorageKey = new string('a', 64), Width = 10, Height = 10 });
        db.Reactions.Add(new Reaction { MessageId = message.Id, UserId = owner.Id, EmojiKey = "🔥", EmojiName = "🔥", CreatedAt = now });
        db.Pins.Add(new Pin { ChannelId = text.Id, MessageId = message.Id, PinnedById = owner.Id, PinnedAt = now });
        db.Invites.Add(new Invite { Code = "abcdEFGH", GuildId = guild.Id, ChannelId = text.Id, InviterId = owner.Id, MaxAge = 3600, CreatedAt = now, ExpiresAt = now.AddHours(1) });
        db.Bans.Add(new Ban { GuildId = guild.Id, UserId = member.Id, Reason = "spam", ModeratorId = owner.Id, CreatedAt = now });
        db.VoiceStates.Add(new VoiceState { GuildId = guild.Id, UserId = owner.Id, ChannelId = voice.Id, SessionId = "s1", InstanceId = "i1", UpdatedAt = now });
        db.ReadStates.Add(new ReadState { UserId = member.Id, ChannelId = text.Id, LastMessageId = message.Id, MentionCount = 1 });
        db.AuditLog.Add(new AuditLogEntry { Id = ids.Next(), GuildId = guild.Id, UserId = owner.Id, TargetId = member.Id, ActionType = 22, Reason = "spam" });
        db.Sessions.Add(new Session { Id = ids.Next(), FamilyId = 1, UserId = owner.Id, TokenHash = new byte[32], CreatedAt = now, ExpiresAt = now.AddDays(7) });
        await db.SaveChangesAsync(ct);
        db.ChangeTracker.Clear();

        // History paging, timestamps compared in SQL, arrays and 64-bit permission values survive.
        var history = await db.Messages.Where(m => m.ChannelId == text.Id && m.Id < long.MaxValue).OrderByDescending(m => m.Id).Take(50).ToListAsync(ct);
        Assert.Equal([reply.Id, message.Id], history.Select(m => m.Id));
        Assert.Equal([owner.Id], history[1].MentionUserIds);
        Assert.Equal(1, await db.Sessions.CountAsync(s => s.ExpiresAt > now.AddDays(6), ct));
        Assert.Equal(1, await db.GuildMembers.CountAsync(m => m.CommunicationDisabledUntil > now, ct));
        Assert.Equal(long.MinValue | 8, (await db.Roles.SingleAsync(r => r.Id == mods.Id, ct)).Permissions);
        Assert.Equal(now.UtcTicks / 10, (await db.Invites.SingleAsync(ct)).CreatedAt.UtcTicks / 10);

        // Deleting the guild takes everything that belongs to it; users and their sessions stay.
        db.Guilds.Remove(await db.Guilds.SingleAsync(g => g.Id == guild.Id, ct));
        await db.SaveChangesAsync(ct);
        Assert.Equal(0, await db.Channels.CountAsync(ct));
        Assert.Equal(0, await db.Messages.CountAsync(ct));
        Assert.Equal(0, await db.Roles.CountAsync(ct));
        Assert.Equal(0, await db.GuildMembers.CountAsync(ct));
        Assert.Equal(0, await db.MemberRoles.CountAsync(ct));
        Assert.Equal(0, await db.Invites.CountAsync(ct));
        Assert.Equal(0, await db.Attachments.CountAsync(ct));
        Assert.Equal(0, await db.Reactions.CountAsync(ct));
        Assert.Equal(0, await db.Pins.CountAsync(ct));
        Assert.Equal(0, await db.Bans.CountAsync(ct));
        Assert.Equal(0, await db.VoiceStates.CountAsync(ct));
        Assert.Equal(0, await db.ReadStates.CountAsync(ct));
        Assert.Equal(0, await db.AuditLog.CountAsync(ct));
        Assert.Equal(0, await db.PermissionOverwrites.CountAsync(ct));
        Assert.Equal(2, await db.Users.CountAsync(ct));
        Assert.Equal(1, await db.Sessions.CountAsync(ct));
    }
}
