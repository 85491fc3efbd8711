using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Together.Data.Entities;

namespace Together.Data.Configurations;

internal sealed class ChannelConfiguration : IEntityTypeConfiguration<Channel>
{
    public void Configure(EntityTypeBuilder<Channel> builder)
    {
        builder.Property(c => c.Id).ValueGeneratedNever();
        builder.Property(c => c.Name).HasMaxLength(100);
        builder.Property(c => c.Topic).HasMaxLength(1024);
        builder.Property(c => c.RtcRegion).HasMaxLength(32);
        builder.HasOne(c => c.Guild).WithMany(g => g.Channels).HasForeignKey(c => c.GuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(c => c.Parent).WithMany().HasForeignKey(c => c.ParentId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(c => c.GuildId);
        builder.HasIndex(c => c.ParentId);
    }
}

internal sealed class PermissionOverwriteConfiguration : IEntityTypeConfiguration<PermissionOverwrite>
{
    public void Configure(EntityTypeBuilder<PermissionOverwrite> builder)
    {
        builder.HasKey(o => new { o.ChannelId, o.TargetId });
        builder.HasOne(o => o.Channel).WithMany(c => c.PermissionOverwrites).HasForeignKey(o => o.ChannelId).OnDelete(DeleteBehavior.Cascade);
        // Deleting a role or removing a member clears its overwrites.
        builder.HasIndex(o => o.TargetId);
    }
}

internal sealed class VoiceStateConfiguration : IEntityTypeConfiguration<VoiceState>
{
    public void Configure(EntityTypeBuilder<VoiceState> builder)
    {
        builder.HasKey(v => new { v.GuildId, v.UserId });
        builder.Property(v => v.SessionId).HasMaxLength(64);
        builder.Property(v => v.InstanceId).HasMaxLength(64);
        builder.HasOne<Guild>().WithMany().HasForeignKey(v => v.GuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(v => v.Channel).WithMany().HasForeignKey(v => v.ChannelId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(v => v.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(v => v.ChannelId);
        // A restarting instance removes the states it held before it crashed.
        builder.HasIndex(v => v.InstanceId);
        builder.HasIndex(v => v.UserId);
    }
}

internal sealed class ReadStateConfiguration : IEntityTypeConfiguration<ReadState>
{
    public void Configure(EntityTypeBuilder<ReadState> builder)
    {
        builder.HasKey(r => new { r.UserId, r.ChannelId });
        builder.HasOne(r => r.Channel).WithMany().HasForeignKey(r => r.ChannelId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne<User>().WithMany().HasForeignKey(r => r.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => r.ChannelId);
    }
}
