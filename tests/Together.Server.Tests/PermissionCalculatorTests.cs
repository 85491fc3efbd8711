using Together.Data.Entities;
using Together.Server.Features.Permissions;
using P = Together.Server.Features.Permissions.Permissions;

namespace Together.Server.Tests;

/// <summary>Discord's permission algorithm, case by case (discord.com/developers/docs/topics/permissions).</summary>
public sealed class PermissionCalculatorTests
{
    private const long Guild = 100, Member = 200, RoleA = 300, RoleB = 301, Other = 999;
    private static readonly IReadOnlySet<long> BothRoles = new HashSet<long> { RoleA, RoleB };
    private const P Talk = P.ViewChannel | P.SendMessages | P.ReadMessageHistory;

    private static P Channel(P guild, params Overwrite[] overwrites) =>
        PermissionCalculator.ForChannel(guild, Guild, Member, BothRoles, overwrites);

    [Fact]
    public void Base_permissions_are_everyone_or_each_role()
    {
        var permissions = PermissionCalculator.ForGuild(false, P.ViewChannel, [P.SendMessages, P.KickMembers]);

        Assert.Equal(P.ViewChannel | P.SendMessages | P.KickMembers, permissions);
    }

    [Fact]
    public void The_owner_and_administrators_have_everything()
    {
        Assert.Equal(PermissionSets.All, PermissionCalculator.ForGuild(true, P.None, []));
        Assert.Equal(PermissionSets.All, PermissionCalculator.ForGuild(false, P.None, [P.Administrator]));
        Assert.Equal(PermissionSets.All, PermissionCalculator.ForGuild(false, P.Administrator, []));
    }

    [Fact]
    public void Administrators_ignore_channel_overwrites()
    {
        var permissions = Channel(PermissionSets.All, new Overwrite(Member, OverwriteType.Member, 0, P.ViewChannel | P.SendMessages));

        Assert.Equal(PermissionSets.All, permissions);
    }

    [Fact]
    public void Everyone_overwrite_applies_first()
    {
        var permissions = Channel(Talk, new Overwrite(Guild, OverwriteType.Role, P.AddReactions, P.SendMessages));

        Assert.Equal(P.ViewChannel | P.ReadMessageHistory | P.AddReactions, permissions);
    }

    [Fact]
    public void Role_overwrites_combine_with_allow_winning_over_deny()
    {
        // Discord: all role overwrites are OR-ed together, denies applied before allows.
        var permissions = Channel(Talk,
            new Overwrite(RoleA, OverwriteType.Role, 0, P.SendMessages),
            new Overwrite(RoleB, OverwriteType.Role, P.SendMessages, 0));

        Assert.True(permissions.HasFlag(P.SendMessages));
    }

    [Fact]
    public void A_role_overwrite_beats_the_everyone_overwrite()
    {
        var permissions = Channel(Talk,
            new Overwrite(Guild, OverwriteType.Role, 0, P.ViewChannel),
            new Overwrite(RoleA, OverwriteType.Role, P.ViewChannel, 0));

        Assert.True(permissions.HasFlag(P.ViewChannel));
    }

    [Fact]
    public void The_member_overwrite_applies_last()
    {
        // Discord's documented example: a role denies sending, the member's own overwrite allows it.
        var permissions = Channel(Talk,
            new Overwrite(RoleA, OverwriteType.Role, 0, P.SendMessages),
            new Overwrite(Member, OverwriteType.Member, P.SendMessages, 0));

        Assert.True(permissions.HasFlag(P.SendMessages));
        var denied = Channel(Talk,
            new Overwrite(RoleA, OverwriteType.Role, P.SendMessages, 0),
            new Overwrite(Member, OverwriteType.Member, 0, P.SendMessages));
        Assert.False(denied.HasFlag(P.SendMessages));
    }

    [Fact]
    public void Overwrites_for_other_roles_and_members_do_not_apply()
    {
        var permissions = Channel(Talk,
            new Overwrite(Other, OverwriteType.Role, 0, P.SendMessages),
            new Overwrite(Other, OverwriteType.Member, 0, P.ViewChannel));

        Assert.Equal(Talk, permissions);
    }

    [Fact]
    public void Without_view_channel_there_is_nothing()
    {
        var permissions = Channel(Talk | P.ManageMessages | P.Connect, new Overwrite(Guild, OverwriteType.Role, 0, P.ViewChannel));

        Assert.Equal(P.None, permissions);
    }

    [Fact]
    public void Without_send_messages_mentions_files_embeds_and_tts_go_too()
    {
        var permissions = Channel(P.ViewChannel | P.MentionEveryone | P.AttachFiles | P.EmbedLinks | P.SendTtsMessages | P.AddReactions);

        Assert.Equal(P.ViewChannel | P.AddReactions, permissions);
    }

    [Fact]
    public void Without_connect_no_voice_permission_remains()
    {
        var permissions = Channel(P.ViewChannel | P.Speak | P.MuteMembers | P.DeafenMembers | P.MoveMembers | P.UseVad | P.Stream);

        Assert.Equal(P.ViewChannel, permissions);
    }

    [Fact]
    public void An_overwrite_cannot_grant_or_remove_administrator()
    {
        var granted = Channel(Talk, new Overwrite(Member, OverwriteType.Member, P.Administrator, 0));
        var removed = Channel(PermissionSets.All, new Overwrite(Member, OverwriteType.Member, 0, P.Administrator));

        Assert.False(granted.HasFlag(P.Administrator));
        Assert.Equal(PermissionSets.All, removed);
    }

    [Fact]
    public void A_timed_out_member_can_only_look()
    {
        var guild = PermissionCalculator.ForGuild(false, Talk | P.AddReactions | P.Connect | P.Speak | P.KickMembers, [], timedOut: true);
        var channel = PermissionCalculator.ForChannel(guild, Guild, Member, BothRoles,
            [new Overwrite(Member, OverwriteType.Member, P.SendMessages, 0)], timedOut: true);

        Assert.Equal(P.ViewChannel | P.ReadMessageHistory, guild);
        Assert.Equal(P.ViewChannel | P.ReadMessageHistory, channel);
        Assert.Equal(PermissionSets.All, PermissionCalculator.ForGuild(false, P.None, [P.Administrator], timedOut: true));
    }

    [Fact]
    public void Permission_values_are_discords()
    {
        Assert.Equal(0x8UL, (ulong)P.Administrator);
        Assert.Equal(0x400UL, (ulong)P.ViewChannel);
        Assert.Equal(0x800UL, (ulong)P.SendMessages);
        Assert.Equal(0x100000UL, (ulong)P.Connect);
        Assert.Equal(0x10000000UL, (ulong)P.ManageRoles);
        Assert.Equal(1UL << 40, (ulong)P.ModerateMembers);
        Assert.Equal("\"1099511627776\"", JsonSerializer.Serialize(P.ModerateMembers));
        Assert.Equal(P.SendMessages | P.ViewChannel, JsonSerializer.Deserialize<P>("\"3072\""));
        Assert.Equal(P.SendMessages | P.ViewChannel, JsonSerializer.Deserialize<P>("3072"));
    }
}

/// <summary>
/// Discord's role hierarchy as <see cref="MemberAccess.Outranks(MemberAccess)"/> applies it: the
/// highest role decides, equals cannot act on each other, the owner acts on everyone and nobody on them.
/// </summary>
public sealed class RoleHierarchyTests
{
    private const long GuildId = 100, OwnerId = 1;
    private static readonly Guild TheGuild = new() { Id = GuildId, Name = "LAN Party", OwnerId = OwnerId };

    // @everyone (its id is the guild's) at 0, then "low" 1, "mid" 2, "top" 3.
    private static readonly Dictionary<long, Role> Roles = new()
    {
        [GuildId] = new Role { Id = GuildId, GuildId = GuildId, Name = "@everyone", Position = 0 },
        [11] = new Role { Id = 11, GuildId = GuildId, Name = "low", Position = 1 },
        [12] = new Role { Id = 12, GuildId = GuildId, Name = "mid", Position = 2 },
        [13] = new Role { Id = 13, GuildId = GuildId, Name = "top", Position = 3 },
    };

    private static MemberAccess Member(long userId, params long[] roleIds) =>
        new(TheGuild, new GuildMember
        {
            GuildId = GuildId,
            UserId = userId,
            Roles = roleIds.Select(r => new MemberRole { GuildId = GuildId, UserId = userId, RoleId = r }).ToList(),
        }, Roles, timedOut: false);

    [Fact]
    public void The_owner_outranks_everyone_and_nobody_outranks_the_owner()
    {
        var owner = Member(OwnerId);
        var top = Member(2, 13);

        Assert.True(owner.Outranks(top));
        Assert.True(owner.Outranks(Member(3)));
        Assert.True(owner.Outranks(Roles[13].Position));
        Assert.False(top.Outranks(owner));
        Assert.False(owner.Outranks(owner));
    }

    [Fact]
    public void Equal_rank_is_not_enough()
    {
        var bob = Member(2, 12);
        var carol = Member(3, 12, 11);

        Assert.False(bob.Outranks(carol));
        Assert.False(carol.Outranks(bob));
        // Nor can anyone act on their own highest role.
        Assert.False(bob.Outranks(Roles[12].Position));
        Assert.True(bob.Outranks(Roles[11].Position));
    }

    [Fact]
    public void The_highest_role_decides_not_the_number_of_roles()
    {
        var many = Member(2, 11, 12);
        var one = Member(3, 13);

        Assert.True(one.Outranks(many));
        Assert.False(many.Outranks(one));
        Assert.Equal(2, many.HighestPosition);
    }

    [Fact]
    public void Members_with_only_everyone_rank_at_zero()
    {
        var plain = Member(2);
        var alsoPlain = Member(3);
        var low = Member(4, 11);

        Assert.Equal(0, plain.HighestPosition);
        Assert.False(plain.Outranks(alsoPlain));
        Assert.False(plain.Outranks(Roles[GuildId].Position));
        Assert.True(low.Outranks(plain));
        Assert.True(low.Outranks(Roles[GuildId].Position));
        // An assignment of @everyone itself, or of a role that no longer exists, does not raise anyone.
        Assert.Equal(0, Member(5, GuildId).HighestPosition);
        Assert.Equal(0, Member(6, 999).HighestPosition);
    }
}
