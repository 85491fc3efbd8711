using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Design;

namespace Together.Data.Sqlite;

/// <summary>For <c>dotnet ef migrations add</c>: the connection is never opened.</summary>
public sealed class DesignTimeFactory : IDesignTimeDbContextFactory<TogetherDb>
{
    public TogetherDb CreateDbContext(string[] args)
    {
        var options = new DbContextOptionsBuilder<TogetherDb>();
        TogetherDbProviders.Configure(options, DatabaseProvider.Sqlite, "Data Source=design.db");
        return new TogetherDb(options.Options);
    }
}
