using Microsoft.OpenApi;
using Scalar.AspNetCore;
using Together.Data.Snowflakes;

namespace Together.Server.Features.ApiDocs;

public static class ApiDocsFeature
{
    public static IServiceCollection AddApiDocs(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer((document, _, _) =>
            {
                document.Info = new OpenApiInfo
                {
                    Title = "Together API",
                    Version = "v10",
                    Description = "Discord API v10-compatible REST API of a Together server.",
                };
                return Task.CompletedTask;
            });
            // Snowflakes travel as decimal strings, as on Discord.
            options.AddSchemaTransformer((schema, context, _) =>
            {
                if (context.JsonTypeInfo.Type == typeof(Snowflake) || context.JsonTypeInfo.Type == typeof(Snowflake?))
                {
                    schema.Type = JsonSchemaType.String;
                    schema.Pattern = "^[0-9]{1,19}$";
                    schema.Format = "snowflake";
                    schema.Properties?.Clear();
                }
                return Task.CompletedTask;
            });
        });

    /// <summary>The document at <c>/openapi/v1.json</c> and a browsable reference at <c>/docs</c>.</summary>
    public static IEndpointRouteBuilder MapApiDocs(this IEndpointRouteBuilder app)
    {
        app.MapOpenApi();
        app.MapScalarApiReference("/docs", options => options
            .WithTitle("Together API")
            .WithOpenApiRoutePattern("/openapi/{documentName}.json"));
        return app;
    }
}
