using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Together.Data.Entities;

namespace Together.Data.Configurations;

internal sealed class GuildConfiguration : IEntityTypeConfiguration<Guild>
{
    public void Configure(EntityTypeBuilder<Guild> builder)
    {
        builder.Property(g => g.Id).ValueGeneratedNever();
        builder.Property(g => g.Name).HasMaxLength(100);
        builder.Property(g => g.IconHash).HasMaxLength(64);
        builder.Property(g => g.Description).HasMaxLength(300);
        builder.Property(g => g.PreferredLocale).HasMaxLength(16);
        builder.HasOne(g => g.Owner).WithMany().HasForeignKey(g => g.OwnerId).OnDelete(DeleteBehavior.Restrict);
        builder.HasIndex(g => g.OwnerId);
        // Only the triggers write it: a stale tracked guild saved later must not move it back.
        var version = builder.Property(g => g.PermissionsVersion).HasDefaultValue(0L).Metadata;
        version.SetBeforeSaveBehavior(PropertySaveBehavior.Ignore);
        version.SetAfterSaveBehavior(PropertySaveBehavior.Ignore);
    }
}

internal sealed class GuildMemberConfiguration : IEntityTypeConfiguration<GuildMember>
{
    public void Configure(EntityTypeBuilder<GuildMember> builder)
    {
        builder.HasKey(m => new { m.GuildId, m.UserId });
        // "My guilds" reads members by user.
        builder.HasIndex(m => m.UserId);
        builder.Property(m => m.Nick).HasMaxLength(32);
        builder.Property(m => m.AvatarHash).HasMaxLength(64);
        builder.Property(m => m.JoinedWithInviteCode).HasMaxLength(32);
        builder.HasOne(m => m.Guild).WithMany(g => g.Members).HasForeignKey(m => m.GuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(m => m.User).WithMany().HasForeignKey(m => m.UserId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class RoleConfiguration : IEntityTypeConfiguration<Role>
{
    public void Configure(EntityTypeBuilder<Role> builder)
    {
        builder.Property(r => r.Id).ValueGeneratedNever();
        builder.Property(r => r.Name).HasMaxLength(100);
        builder.Property(r => r.IconHash).HasMaxLength(64);
        builder.Property(r => r.UnicodeEmoji).HasMaxLength(32);
        builder.HasOne(r => r.Guild).WithMany(g => g.Roles).HasForeignKey(r => r.GuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(r => r.GuildId);
    }
}

internal sealed class MemberRoleConfiguration : IEntityTypeConfiguration<MemberRole>
{
    public void Configure(EntityTypeBuilder<MemberRole> builder)
    {
        builder.HasKey(mr => new { mr.GuildId, mr.UserId, mr.RoleId });
        // Deleting a role removes its assignments; listing a role's members.
        builder.HasIndex(mr => mr.RoleId);
        builder.HasOne(mr => mr.Member).WithMany(m => m.Roles)
            .HasForeignKey(mr => new { mr.GuildId, mr.UserId }).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(mr => mr.Role).WithMany().HasForeignKey(mr => mr.RoleId).OnDelete(DeleteBehavior.Cascade);
    }
}

internal sealed class BanConfiguration : IEntityTypeConfiguration<Ban>
{
    public void Configure(EntityTypeBuilder<Ban> builder)
    {
        builder.HasKey(b => new { b.GuildId, b.UserId });
        builder.Property(b => b.Reason).HasMaxLength(512);
        builder.HasOne(b => b.Guild).WithMany().HasForeignKey(b => b.GuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(b => b.User).WithMany().HasForeignKey(b => b.UserId).OnDelete(DeleteBehavior.Cascade);
        builder.HasIndex(b => b.UserId);
    }
}

internal sealed class InviteConfiguration : IEntityTypeConfiguration<Invite>
{
    public void Configure(EntityTypeBuilder<Invite> builder)
    {
        builder.HasKey(i => i.Code);
        builder.Property(i => i.Code).HasMaxLength(32);
        builder.HasOne(i => i.Guild).WithMany().HasForeignKey(i => i.GuildId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(i => i.Channel).WithMany().HasForeignKey(i => i.ChannelId).OnDelete(DeleteBehavior.Cascade);
        builder.HasOne(i => i.Inviter).WithMany().HasForeignKey(i => i.InviterId).OnDelete(DeleteBehavior.SetNull);
        builder.HasIndex(i => i.GuildId);
        builder.HasIndex(i => i.ChannelId);
        builder.HasIndex(i => i.InviterId);
        // Expired invites are swept by time.
        builder.HasIndex(i => i.ExpiresAt);
    }
}

internal sealed class AuditLogEntryConfiguration : IEntityTypeConfiguration<AuditLogEntry>
{
    public void Configure(EntityTypeBuilder<AuditLogEntry> builder)
    {
        builder.ToTable("audit_log_entries");
        builder.Property(a => a.Id).ValueGeneratedNever();
        builder.Property(a => a.Reason).HasMaxLength(512);
        builder.HasOne(a => a.Guild).WithMany().HasForeignKey(a => a.GuildId).OnDelete(DeleteBehavior.Cascade);
        // The audit log is paged newest first, optionally filtered by actor or action.
        builder.HasIndex(a => new { a.GuildId, a.Id }).IsDescending(false, true);
        builder.HasIndex(a => new { a.GuildId, a.UserId, a.Id }).IsDescending(false, false, true);
        builder.HasIndex(a => new { a.GuildId, a.ActionType, a.Id }).IsDescending(false, false, true);
    }
}
