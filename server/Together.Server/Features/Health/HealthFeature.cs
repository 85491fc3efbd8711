using Microsoft.AspNetCore.Diagnostics.HealthChecks;

namespace Together.Server.Features.Health;

public static class HealthFeature
{
    /// <summary>
    /// <c>/health/live</c>: the process answers. <c>/health/ready</c>: it can reach its database,
    /// so a load balancer or orchestrator may send it traffic.
    /// </summary>
    public static IEndpointRouteBuilder MapHealth(this IEndpointRouteBuilder app)
    {
        app.MapHealthChecks("/health/live", new HealthCheckOptions { Predicate = _ => false });
        app.MapHealthChecks("/health/ready", new HealthCheckOptions { Predicate = check => check.Tags.Contains("ready") });
        return app;
    }
}
