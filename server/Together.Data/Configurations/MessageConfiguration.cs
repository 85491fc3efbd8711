using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Together.Data.Entities;

namespace Together.Data.Configurations;

internal sealed class MessageConfiguration : IEntityTypeConfiguration<Message>
{
    public void Configure(EntityTypeBuilder<Message> builder)
    {
        builder.Property(m => m.Id).ValueGeneratedNever();
        builder.Property(m => m.Content).HasMaxLength(4000);
        builder.Property(m => m.Nonce).HasMaxLength(64);
        builder.HasOne(m => m.Channel).WithMany().HasForeignKey(m => m.ChannelId).OnDelete(DeleteBehavior.Cascade);
        // Users are never hard-deleted (deleted accounts are anonymised), so messages keep an author.
        builder.HasOne(m => m.Author).WithMany().HasForeignKey(m => m.AuthorId).OnDelete(DeleteBehavior.Restrict);
        // History: keyset paging by (channel_id, id DESC) for before/after/around.
        builder.HasIndex(m => new { m.ChannelId, m.Id }).IsDescending(false, true);
        // Search filters: from:user and guild-wide newest first.
        builder.HasIndex(m => new { m.AuthorId, m.Id }).IsDescending(false, true);
        builder.HasIndex(m => new { m.GuildId, m.Id }).IsDescending(false, true);
        // Pinned messages of a channel.
        builder.HasIndex(m => new { m.ChannelId, m.Pinned });
    }
}

internal sealed class AttachmentConfiguration : IEntityTypeConfiguration<Attachment>
{
    public void Configure(EntityTypeBuilder<Attachment> builder)
    {
        builder.Property(a => a.Id).ValueGeneratedNever();
        builder.Property(a => a.Filename).HasMaxLength(255);
        builder.Property(a => a.Description).HasMaxLength(1024);
        builder.Property(a => a.ContentType).HasMaxLength(128);
        builder.Property(a => a.StorageKey).HasMaxLength(64);
        builder.HasOne(a => a.Message).WithMany(m => m.Attachments).HasForeignKey(a => a.MessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(a => a.MessageId);
        // has:file / has:image search within a channel.
        builder.HasIndex(a => a.ChannelId);
        // Blob clean-up asks whether any row still references a content address.
        builder.HasIndex(a => a.StorageKey);
    }
}

internal sealed class ReactionConfiguration : IEntityTypeConfiguration<Reaction>
{
    public void Configure(EntityTypeBuilder<Reaction> builder)
    {
        // The key orders rows so "users who reacted with X" is one range scan.
        builder.HasKey(r => new { r.MessageId, r.EmojiKey, r.UserId });
        builder.Property(r => r.EmojiKey).HasMaxLength(128);
        builder.Property(r => r.EmojiName).HasMaxLength(100);
        builder.HasOne(r => r.Message).WithMany(m => m.Reactions).HasForeignKey(r => r.MessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => r.UserId);
    }
}

internal sealed class PinConfiguration : IEntityTypeConfiguration<Pin>
{
    public void Configure(EntityTypeBuilder<Pin> builder)
    {
        builder.HasKey(p => new { p.ChannelId, p.MessageId });
        builder.HasOne(p => p.Message).WithMany().HasForeignKey(p => p.MessageId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(p => p.MessageId);
        // Pins are listed newest pin first.
        builder.HasIndex(p => new { p.ChannelId, p.PinnedAt }).IsDescending(false, true);
    }
}
