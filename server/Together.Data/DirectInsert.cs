using System.Collections.Concurrent;
using System.Data.Common;
using Microsoft.EntityFrameworkCore;
using Microsoft.EntityFrameworkCore.Infrastructure;
using Microsoft.EntityFrameworkCore.Metadata;
using Microsoft.EntityFrameworkCore.Storage;

namespace Together.Data;

/// <summary>
/// One row INSERT without EF Core's change tracker and update pipeline, for the hottest write
/// (a chat message). <c>SaveChanges</c> builds column modifications, generates the SQL and names
/// its parameters anew on every call, about 29 KB of garbage per message sent; here the statement
/// is built once per entity type and provider, from the EF model itself (table, columns, and each
/// column's type mapping, so value converters and PostgreSQL arrays behave exactly as with
/// <c>SaveChanges</c>), and a model change cannot leave a column out.
/// </summary>
public static class DirectInsert
{
    private static readonly ConcurrentDictionary<(IModel, Type), Statement> Statements = new();

    /// <summary>Inserts <paramref name="entity"/> as one row, in the context's current transaction if it has one. Nothing is tracked.</summary>
    public static async Task InsertAsync<T>(this TogetherDb db, T entity, CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(entity);
        var statement = Statements.GetOrAdd((db.Model, typeof(T)), static (key, db) => Statement.For(db, key.Item2), db);
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = statement.Sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            foreach (var column in statement.Columns)
                command.Parameters.Add(column.Mapping.CreateParameter(command, column.ParameterName, column.Property.GetGetter().GetClrValue(entity), column.Property.IsNullable));
            await command.ExecuteNonQueryAsync(cancellationToken);
        }
        finally
        {
            await db.Database.CloseConnectionAsync();
        }
    }

    private sealed record Column(IProperty Property, RelationalTypeMapping Mapping, string ParameterName);

    private sealed record Statement(string Sql, IReadOnlyList<Column> Columns)
    {
        public static Statement For(TogetherDb db, Type type)
        {
            var entityType = db.Model.FindEntityType(type) ?? throw new InvalidOperationException($"{type.Name} is not an entity.");
            var table = StoreObjectIdentifier.Table(entityType.GetTableName()!, entityType.GetSchema());
            var sql = db.GetService<ISqlGenerationHelper>();
            // PostgreSQL: positional parameters ($1), which Npgsql sends as they are; named ones
            // would make it parse and rewrite the SQL on every execution.
            var positional = db.Database.IsNpgsql();
            var columns = new List<Column>();
            foreach (var property in entityType.GetProperties())
            {
                if (property.GetComputedColumnSql() is not null)
                    continue;
                if (property.IsShadowProperty() || property.ValueGenerated != ValueGenerated.Never)
                    throw new NotSupportedException($"{type.Name}.{property.Name}: only plain mapped properties can be inserted directly.");
                var name = positional ? "" : "p" + columns.Count.ToString(System.Globalization.CultureInfo.InvariantCulture);
                columns.Add(new Column(property, property.GetRelationalTypeMapping(), name));
            }
            var names = string.Join(", ", columns.Select(c => sql.DelimitIdentifier(c.Property.GetColumnName(table)!)));
            var values = string.Join(", ", columns.Select((c, i) => positional
                ? "$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture)
                : sql.GenerateParameterNamePlaceholder(c.ParameterName)));
            return new Statement($"INSERT INTO {sql.DelimitIdentifier(table.Name, table.Schema)} ({names}) VALUES ({values})", columns);
        }
    }
}
