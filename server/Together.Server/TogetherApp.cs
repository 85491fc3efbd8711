using Together.Server.Features.ApiDocs;
using Together.Server.Features.Auth;
using Together.Server.Features.Files;
using Together.Server.Features.Gateway;
using Together.Server.Features.Guilds;
using Together.Server.Features.Health;
using Together.Server.Features.Messages;
using Together.Server.Features.Users;
using Together.Server.Features.Voice;
using Together.Server.Features.WebClient;
using Together.Server.Infrastructure;

namespace Together.Server;

/// <summary>Composes the server from its features; <c>Program</c> and the tests both start it here.</summary>
public static class TogetherApp
{
    public static WebApplication Create(string[] args)
    {
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions
        {
            Args = args,
            ContentRootPath = AppContext.BaseDirectory,
        });
        builder.AddTogetherConfiguration(args);
        var data = new DataDirectory(builder.Configuration["DataDirectory"] ?? "data");

        builder.Services
            .AddCore(builder.Configuration, builder.WebHost, data)
            .AddDatabase(builder.Configuration, data)
            .AddAuth(builder.Configuration)
            .AddGuilds(builder.Configuration)
            .AddMessages()
            .AddGateway(builder.Configuration)
            .AddVoice(builder.Configuration)
            .AddFiles(builder.Configuration)
            .AddApiDocs();

        var app = builder.Build();
        app.UseCore();
        app.MapHealth();
        app.MapApiDocs();
        app.MapAuth();
        app.MapUsers();
        app.MapGuilds();
        app.MapMessages();
        app.MapGateway();
        app.MapVoice();
        app.MapFiles();
        app.MapWebClient();
        return app;
    }
}
