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
        await ExecuteAsync(db, statement, entity, [], cancellationToken);
    }

    private static readonly ConcurrentDictionary<(IModel, Type, string), Statement> GuardedStatements = new();

    /// <summary>
    /// Inserts <paramref name="entity"/> only if <paramref name="condition"/> holds when the row is
    /// written, checked in the same statement: false (nothing written) when it does not. The
    /// condition is SQL with <c>{0}</c>, <c>{1}</c>… standing for <paramref name="values"/>.
    /// PostgreSQL only.
    /// </summary>
    public static async Task<bool> InsertIfAsync<T>(this TogetherDb db, T entity, string condition, IReadOnlyList<object> values,
        CancellationToken cancellationToken) where T : class
    {
        ArgumentNullException.ThrowIfNull(db);
        ArgumentNullException.ThrowIfNull(entity);
        ArgumentNullException.ThrowIfNull(values);
        if (!db.Database.IsNpgsql())
            throw new NotSupportedException("A guarded insert is written for PostgreSQL.");
        var statement = GuardedStatements.GetOrAdd((db.Model, typeof(T), condition),
            static (key, state) => Statement.Guarded(state.db, key.Item2, key.Item3, state.Count), (db, values.Count));
        return await ExecuteAsync(db, statement, entity, values, cancellationToken) == 1;
    }

    private static async Task<int> ExecuteAsync(TogetherDb db, Statement statement, object entity, IReadOnlyList<object> values,
        CancellationToken cancellationToken)
    {
        await db.Database.OpenConnectionAsync(cancellationToken);
        try
        {
            await using var command = db.Database.GetDbConnection().CreateCommand();
            command.CommandText = statement.Sql;
            command.Transaction = db.Database.CurrentTransaction?.GetDbTransaction();
            foreach (var column in statement.Columns)
                command.Parameters.Add(column.Mapping.CreateParameter(command, column.ParameterName, column.Property.GetGetter().GetClrValue(entity), column.Property.IsNullable));
            foreach (var value in values)
            {
                var parameter = command.CreateParameter();
                parameter.Value = value;
                command.Parameters.Add(parameter);
            }
            return await command.ExecuteNonQueryAsync(cancellationToken);
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

        public static Statement Guarded(TogetherDb db, Type type, string condition, int valueCount)
        {
            var plain = For(db, type);
            // INSERT ... SELECT: a select list does not take its types from the target columns the
            // way VALUES does, so each parameter is cast to its column's type (EF's mappings send
            // every parameter typed today; an untyped one would be read as text).
            var values = string.Join(", ", plain.Columns.Select((c, i) =>
                "$" + (i + 1).ToString(System.Globalization.CultureInfo.InvariantCulture) + "::" + c.Mapping.StoreType));
            var guard = string.Format(System.Globalization.CultureInfo.InvariantCulture, condition,
                Enumerable.Range(plain.Columns.Count + 1, valueCount).Select(n => (object)("$" + n.ToString(System.Globalization.CultureInfo.InvariantCulture))).ToArray());
            var into = plain.Sql[..plain.Sql.IndexOf(" VALUES (", StringComparison.Ordinal)];
            return new Statement($"{into} SELECT {values} WHERE {guard}", plain.Columns);
        }
    }
}
