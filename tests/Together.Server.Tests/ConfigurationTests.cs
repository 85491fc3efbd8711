using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.Configuration;
using Together.Server.Infrastructure;

namespace Together.Server.Tests;

public sealed class ConfigurationTests
{
    [Fact]
    public void Environment_variables_with_the_together_prefix_override_appsettings_and_the_command_line_overrides_both()
    {
        var key = "ConfigTest" + Guid.NewGuid().ToString("N")[..8];
        Environment.SetEnvironmentVariable($"TOGETHER__{key}__Value", "from-env");
        Environment.SetEnvironmentVariable($"TOGETHER__{key}__Other", "from-env");
        try
        {
            string[] args = [$"--{key}:Other=from-args"];
            var builder = WebApplication.CreateBuilder(new WebApplicationOptions { Args = args });
            builder.AddTogetherConfiguration(args);

            Assert.Equal("from-env", builder.Configuration[$"{key}:Value"]);
            Assert.Equal("from-args", builder.Configuration[$"{key}:Other"]);
            Assert.Equal("http://127.0.0.1:8080", new ConfigurationBuilder()
                .AddJsonFile(Path.Combine(AppContext.BaseDirectory, "appsettings.json")).Build()["Urls"]);
        }
        finally
        {
            Environment.SetEnvironmentVariable($"TOGETHER__{key}__Value", null);
            Environment.SetEnvironmentVariable($"TOGETHER__{key}__Other", null);
        }
    }
}
