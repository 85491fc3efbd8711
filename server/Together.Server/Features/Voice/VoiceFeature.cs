using Microsoft.AspNetCore.Http.HttpResults;
using Microsoft.EntityFrameworkCore;
using Together.Data;
using Together.Data.Snowflakes;
using Together.Server.Features.Auth;
using Together.Server.Features.Gateway;
using Together.Server.Features.Permissions;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Voice;

public static class VoiceFeature
{
    public static IServiceCollection AddVoice(this IServiceCollection services, IConfiguration configuration)
    {
        services.AddSingleton(configuration.GetSection("Voice").Get<VoiceSettings>() ?? new VoiceSettings());
        services.AddSingleton<VoiceSfu>();
        services.AddSingleton<IOpHandler, VoiceAnswerHandler>();
        services.AddSingleton<VoiceInstance>();
        services.AddSingleton<VoiceStateService>();
        services.AddHostedService<VoiceStartup>();
        services.AddSingleton<IOpHandler, VoiceStateUpdateHandler>();
        return services;
    }

    public static IEndpointRouteBuilder MapVoice(this IEndpointRouteBuilder app)
    {
        var group = app.MapGroup("/api/v10/guilds/{guildId}/voice-states").WithTags("Voice").RequireAuthorization();
        group.MapGet("/@me", (Snowflake guildId, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken ct) => Get(guildId, me.Id, me, access, db, ct));
        group.MapGet("/{userId}", (Snowflake guildId, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken ct) => Get(guildId, userId, me, access, db, ct));
        return app;
    }

    private static async Task<Ok<VoiceStateObject>> Get(Snowflake guildId, Snowflake userId, CurrentUser me, GuildAccess access, TogetherDb db, CancellationToken cancellationToken)
    {
        await access.MemberAsync(guildId, me.Id, cancellationToken);
        var state = await db.VoiceStates.AsNoTracking().SingleOrDefaultAsync(v => v.GuildId == guildId.Value && v.UserId == userId.Value, cancellationToken)
            ?? throw ApiException.NotFound(10065, "Unknown Voice State");
        var member = await db.GuildMembers.AsNoTracking().SingleOrDefaultAsync(m => m.GuildId == guildId.Value && m.UserId == userId.Value, cancellationToken);
        return TypedResults.Ok(VoiceStateObject.From(state, member));
    }
}
