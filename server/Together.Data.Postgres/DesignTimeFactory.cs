using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Together.Data.Postgres;

/// <summary>For <c>dotnet ef migrations add</c>: the connection is never opened.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TogetherDb>
{
    public TogetherDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TogetherDb>();
        TogetherDbProviders.Configure(options, DatabaseProvider.Postgres, "Host=127.0.0.1;Database=together_design");
        return new TogetherDb(options.Options);
    }
}
