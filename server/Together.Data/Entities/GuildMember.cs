namespace Together.Data.Entities;

public sealed class GuildMember
{
    public long GuildId { get; set; }

    public Guild? Guild { get; set; }

    public long UserId { get; set; }

    public User? User { get; set; }

    public string? Nick { get; set; }

    public string? AvatarHash { get; set; }

    public DateTimeOffset JoinedAt { get; set; }

    /// <summary>Timeout: the member cannot talk until then (Discord's communication_disabled_until).</summary>
    public DateTimeOffset? CommunicationDisabledUntil { get; set; }

    /// <summary>Server mute and deafen, kept across voice sessions as Discord does.</summary>
    public bool Mute { get; set; }

    public bool Deaf { get; set; }

    /// <summary>The invite the member joined with, for the invites list and audit.</summary>
    public string? JoinedWithInviteCode { get; set; }

    public List<MemberRole> Roles { get; set; } = [];
}
