namespace Together.Data.Entities;

public sealed class MemberRole
{
    public long GuildId { get; set; }

    public long UserId { get; set; }

    public GuildMember? Member { get; set; }

    public long RoleId { get; set; }

    public Role? Role { get; set; }
}
