namespace Together.Server.Features.Messages;

public static class MessagesFeature
{
    public static IServiceCollection AddMessages(this IServiceCollection services)
    {
        services.AddScoped<MessageReader>();
        services.AddSingleton<Slowmode>();
        return services;
    }

    public static IEndpointRouteBuilder MapMessages(this IEndpointRouteBuilder app)
    {
        var channel = app.MapGroup("/api/v10/channels/{channelId}").WithTags("Messages").RequireAuthorization();
        channel.MapGet("/messages", MessageEndpoints.List).WithSummary("History, newest first; one of before, after, around.");
        channel.MapPost("/messages", MessageEndpoints.Send)
            .Accepts<SendMessageRequest>("application/json", "multipart/form-data")
            .WithSummary("JSON, or multipart/form-data with payload_json and files[n] (ATTACH_FILES).");
        channel.MapPost("/messages/bulk-delete", MessageEndpoints.BulkDelete);
        channel.MapPost("/typing", MessageEndpoints.Typing).WithSummary("Show others that the caller is typing (about 10 seconds).");
        channel.MapGet("/messages/pins", Pins.List);
        channel.MapPut("/messages/pins/{messageId}", Pins.Pin);
        channel.MapDelete("/messages/pins/{messageId}", Pins.Unpin);
        channel.MapGet("/messages/{messageId}", MessageEndpoints.Get);
        channel.MapPatch("/messages/{messageId}", MessageEndpoints.Edit);
        channel.MapDelete("/messages/{messageId}", MessageEndpoints.Delete);

        channel.MapDelete("/messages/{messageId}/reactions", Reactions.RemoveAll);
        channel.MapGet("/messages/{messageId}/reactions/{emoji}", Reactions.ListUsers);
        channel.MapDelete("/messages/{messageId}/reactions/{emoji}", Reactions.RemoveEmoji);
        channel.MapPut("/messages/{messageId}/reactions/{emoji}/@me", Reactions.AddMine);
        channel.MapDelete("/messages/{messageId}/reactions/{emoji}/@me", Reactions.RemoveMine);
        channel.MapDelete("/messages/{messageId}/reactions/{emoji}/{userId}", Reactions.RemoveUsers);

        app.MapGet("/api/v10/guilds/{guildId}/messages/search", SearchMessages.Handle)
            .WithTags("Messages").RequireAuthorization().WithSummary("Full-text search with Discord's filters.");

        // The older pin routes that many bot libraries still call.
        channel.MapGet("/pins", Pins.ListLegacy);
        channel.MapPut("/pins/{messageId}", Pins.Pin);
        channel.MapDelete("/pins/{messageId}", Pins.Unpin);
        return app;
    }
}
