using System.Collections.Concurrent;
using Microsoft.EntityFrameworkCore;

namespace Together.Server.Infrastructure;

/// <summary>
/// An EF Core compiled query for the hot paths: no expression tree to build and no parameter
/// extraction per call. A compiled query keeps the provider of its first use, so this keeps one
/// per provider (the test suites run PostgreSQL and SQLite in one process).
/// </summary>
public sealed class CompiledQuery<TQuery>(Func<TQuery> compile) where TQuery : class
{
    private readonly ConcurrentDictionary<string, TQuery> _byProvider = new(StringComparer.Ordinal);

    public TQuery For(DbContext db)
    {
        ArgumentNullException.ThrowIfNull(db);
        return _byProvider.GetOrAdd(db.Database.ProviderName ?? "", _ => compile());
    }
}
