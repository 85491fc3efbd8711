using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Metadata.Builders;
using Together.Data.Entities;

namespace Together.Data.Configurations;

internal sealed class UserConfiguration : IEntityTypeConfiguration<User>
{
    public void Configure(EntityTypeBuilder<User> builder)
    {
        builder.Property(u => u.Id).ValueGeneratedNever();
        builder.Property(u => u.Username).HasMaxLength(32);
        builder.Property(u => u.NormalizedUsername).HasMaxLength(32);
        builder.HasIndex(u => u.NormalizedUsername).IsUnique();
        builder.Property(u => u.GlobalName).HasMaxLength(32);
        builder.Property(u => u.Email).HasMaxLength(254);
        builder.Property(u => u.NormalizedEmail).HasMaxLength(254);
        builder.HasIndex(u => u.NormalizedEmail).IsUnique();
        builder.Property(u => u.PasswordHash).HasMaxLength(100);
        builder.Property(u => u.AvatarHash).HasMaxLength(64);
        builder.Property(u => u.BannerHash).HasMaxLength(64);
        builder.Property(u => u.Bio).HasMaxLength(190);
    }
}
