using Npgsql;

namespace Together.Data.Tests;

public sealed class ConnectionStringTests
{
    [Fact]
    public void PostgreSQL_gets_no_reset_and_auto_prepare_unless_the_admin_says_otherwise()
    {
        var plain = new NpgsqlConnectionStringBuilder(TogetherDbProviders.PostgresConnectionString("Host=db;Database=together;Username=u;Password=p"));
        Assert.True(plain.NoResetOnClose);
        Assert.Equal(64, plain.MaxAutoPrepare);
        Assert.Equal("db", plain.Host);
        Assert.Equal("p", plain.Password);

        // PgBouncer in transaction mode: the admin turns both off, in either spelling.
        var bouncer = new NpgsqlConnectionStringBuilder(TogetherDbProviders.PostgresConnectionString("Host=db;No Reset On Close=false;MaxAutoPrepare=0"));
        Assert.False(bouncer.NoResetOnClose);
        Assert.Equal(0, bouncer.MaxAutoPrepare);
    }
}
