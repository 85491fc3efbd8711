using Together.Server.Features.Auth;
using Together.Server.Features.AuditLog;
using Together.Server.Features.Channels;
using Together.Server.Features.Files;
using Together.Server.Features.Invites;
using Together.Server.Features.Members;
using Together.Server.Features.Permissions;
using Together.Server.Features.Roles;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Guilds;

/// <summary>
/// Invite limits per client address. Lookups guard codes against guessing; joins are limited so
/// one address cannot flood a server with accounts, but a LAN party or a school joins from one
/// address, so an admin can raise it.
/// </summary>
public sealed class InviteSettings
{
    public InviteRateLimits RateLimits { get; set; } = new();

    public sealed class InviteRateLimits
    {
        public RateLimitSettings.RuleSettings Lookup { get; set; } = new() { Limit = 60, WindowSeconds = 60 };

        public RateLimitSettings.RuleSettings Accept { get; set; } = new() { Limit = 30, WindowSeconds = 60 };
    }
}

/// <summary>The community model: guilds, channels, roles, members, bans, invites and the audit log.</summary>
public static class GuildsFeature
{
    public static IServiceCollection AddGuilds(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(configuration.GetSection("Invites").Get<InviteSettings>() ?? new InviteSettings());
        services.AddHttpContextAccessor();
        services.AddScoped<GuildAccess>();
        services.AddSingleton<GuildPermissionCache>();
        services.AddScoped<AuditLogWriter>();
        return services;
    }

    public static IEndpointRouteBuilder MapGuilds(this IEndpointRouteBuilder app)
    {
        var api = app.MapGroup("/api/v10").RequireAuthorization();

        var guilds = api.MapGroup("/guilds").WithTags("Guilds");
        guilds.MapPost("", CreateGuild.Handle).WithSummary("Create a server; the caller owns it.").WithImageBody();
        guilds.MapGet("/{guildId}", GetGuild.Handle);
        guilds.MapPatch("/{guildId}", ModifyGuild.Handle).WithSummary("MANAGE_GUILD; owner_id (transfer) by the owner only.").WithImageBody();
        guilds.MapDelete("/{guildId}", DeleteGuild.Handle).WithSummary("Owner only.");
        guilds.MapGet("/{guildId}/audit-logs", GetAuditLog.Handle).WithSummary("VIEW_AUDIT_LOG.");

        guilds.MapGet("/{guildId}/channels", ListGuildChannels.Handle).WithTags("Channels");
        guilds.MapPost("/{guildId}/channels", CreateGuildChannel.Handle).WithTags("Channels");
        guilds.MapPatch("/{guildId}/channels", ReorderChannels.Handle).WithTags("Channels");

        guilds.MapGet("/{guildId}/roles", RoleEndpoints.List).WithTags("Roles");
        guilds.MapPost("/{guildId}/roles", RoleEndpoints.Create).WithTags("Roles");
        guilds.MapPatch("/{guildId}/roles", RoleEndpoints.Reorder).WithTags("Roles");
        guilds.MapPatch("/{guildId}/roles/{roleId}", RoleEndpoints.Modify).WithTags("Roles");
        guilds.MapDelete("/{guildId}/roles/{roleId}", RoleEndpoints.Delete).WithTags("Roles");
        guilds.MapPut("/{guildId}/members/{userId}/roles/{roleId}", RoleEndpoints.AddToMember).WithTags("Roles");
        guilds.MapDelete("/{guildId}/members/{userId}/roles/{roleId}", RoleEndpoints.RemoveFromMember).WithTags("Roles");

        guilds.MapGet("/{guildId}/members", MemberEndpoints.List).WithTags("Members");
        guilds.MapPatch("/{guildId}/members/@me", MemberEndpoints.ModifyMe).WithTags("Members");
        guilds.MapGet("/{guildId}/members/{userId}", MemberEndpoints.Get).WithTags("Members");
        guilds.MapPatch("/{guildId}/members/{userId}", MemberEndpoints.Modify).WithTags("Members");
        guilds.MapDelete("/{guildId}/members/{userId}", MemberEndpoints.Kick).WithTags("Members").WithSummary("Kick.");

        guilds.MapGet("/{guildId}/bans", BanEndpoints.List).WithTags("Members");
        guilds.MapGet("/{guildId}/bans/{userId}", BanEndpoints.Get).WithTags("Members");
        guilds.MapPut("/{guildId}/bans/{userId}", BanEndpoints.Create).WithTags("Members");
        guilds.MapDelete("/{guildId}/bans/{userId}", BanEndpoints.Remove).WithTags("Members");
        guilds.MapGet("/{guildId}/invites", InviteEndpoints.ListForGuild).WithTags("Invites");

        var channels = api.MapGroup("/channels").WithTags("Channels");
        channels.MapGet("/{channelId}", GetChannel.Handle);
        channels.MapPatch("/{channelId}", ModifyChannel.Handle);
        channels.MapDelete("/{channelId}", DeleteChannel.Handle);
        channels.MapPut("/{channelId}/permissions/{overwriteId}", Overwrites.Put);
        channels.MapDelete("/{channelId}/permissions/{overwriteId}", Overwrites.Delete);
        channels.MapPost("/{channelId}/invites", InviteEndpoints.Create).WithTags("Invites");
        channels.MapGet("/{channelId}/invites", InviteEndpoints.ListForChannel).WithTags("Invites");

        var me = api.MapGroup("/users/@me/guilds").WithTags("Guilds");
        me.MapGet("", ListMyGuilds.Handle);
        me.MapDelete("/{guildId}", LeaveGuild.Handle).WithSummary("Leave a server.");

        // Invite previews need no account; joining does. Lookups are rate limited against guessing.
        var invites = app.MapGroup("/api/v10/invites").WithTags("Invites");
        invites.MapGet("/{code}", InviteEndpoints.Get)
            .RateLimitPerIp("invites.lookup", s => s.GetRequiredService<InviteSettings>().RateLimits.Lookup.ToRule());
        invites.MapPost("/{code}", InviteEndpoints.Accept).RequireAuthorization()
            .RateLimitPerIp("invites.accept", s => s.GetRequiredService<InviteSettings>().RateLimits.Accept.ToRule());
        invites.MapDelete("/{code}", InviteEndpoints.Delete).RequireAuthorization();
        return app;
    }
}
