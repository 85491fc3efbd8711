using System.Text.Json;
using System.Text.Json.Serialization;
using Together.Data;
using Together.Data.Entities;
using Together.Data.Snowflakes;

namespace Together.Server.Features.AuditLog;

/// <summary>Discord's audit log event numbers for what this server records.</summary>
public enum AuditAction
{
    GuildUpdate = 1,
    ChannelCreate = 10,
    ChannelUpdate = 11,
    ChannelDelete = 12,
    ChannelOverwriteCreate = 13,
    ChannelOverwriteUpdate = 14,
    ChannelOverwriteDelete = 15,
    MemberKick = 20,
    MemberBanAdd = 22,
    MemberBanRemove = 23,
    MemberUpdate = 24,
    MemberRoleUpdate = 25,
    RoleCreate = 30,
    RoleUpdate = 31,
    RoleDelete = 32,
    InviteCreate = 40,
    InviteDelete = 42,
    MessageDelete = 72,
    MessageBulkDelete = 73,
    MessagePin = 74,
    MessageUnpin = 75,
}

/// <summary>
/// One entry of Discord's <c>changes</c> array. A value that is null is left out, as Discord does:
/// no <c>old_value</c> on creation, no <c>new_value</c> when a field is deleted or reset.
/// </summary>
public sealed record AuditChange(
    string Key,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? OldValue,
    [property: JsonIgnore(Condition = JsonIgnoreCondition.WhenWritingNull)] object? NewValue)
{
    /// <summary>Discord's <c>$add</c>/<c>$remove</c> value: the roles as <c>[{id, name}]</c>.</summary>
    public static AuditChange Roles(string key, IEnumerable<Role> roles) =>
        new(key, null, roles.Select(r => new AuditRole(r.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), r.Name)).ToList());
}

/// <summary>A partial role as <c>$add</c>/<c>$remove</c> carry it.</summary>
public sealed record AuditRole(string Id, string Name);

/// <summary>
/// Adds audit entries to the request's unit of work, so an action and its record are saved in the
/// same transaction. The reason comes from the <c>X-Audit-Log-Reason</c> header (URL-encoded).
/// </summary>
public sealed class AuditLogWriter(TogetherDb db, SnowflakeGenerator ids, IHttpContextAccessor http)
{
    public const string ReasonHeader = "X-Audit-Log-Reason";

    public void Record(long guildId, long actorId, AuditAction action, long? targetId,
        IReadOnlyList<AuditChange>? changes = null, IReadOnlyDictionary<string, string>? options = null)
    {
        db.AuditLog.Add(new AuditLogEntry
        {
            Id = ids.Next(),
            GuildId = guildId,
            UserId = actorId,
            TargetId = targetId,
            ActionType = (int)action,
            ChangesJson = changes is { Count: > 0 } ? JsonSerializer.Serialize(changes, JsonOptions) : null,
            OptionsJson = options is { Count: > 0 } ? JsonSerializer.Serialize(options, JsonOptions) : null,
            Reason = Reason(),
        });
    }

    /// <summary>The reason the caller gave in <c>X-Audit-Log-Reason</c>, decoded and capped at 512 characters.</summary>
    public string? Reason()
    {
        var raw = http.HttpContext?.Request.Headers[ReasonHeader].ToString();
        if (string.IsNullOrWhiteSpace(raw))
            return null;
        string reason;
        try
        {
            reason = Uri.UnescapeDataString(raw).Trim();
        }
        catch (UriFormatException)
        {
            reason = raw.Trim();
        }
        return reason.Length > 512 ? reason[..512] : reason;
    }

    private static readonly JsonSerializerOptions JsonOptions = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };
}

/// <summary>Collects changed fields for an audit entry.</summary>
public sealed class AuditChanges
{
    private readonly List<AuditChange> _changes = [];

    public IReadOnlyList<AuditChange> List => _changes;

    /// <summary>A value set on creation: only <c>new_value</c>, as Discord records it.</summary>
    public AuditChanges Created<T>(string key, T value)
    {
        if (value is not null)
            _changes.Add(new AuditChange(key, null, Wire(value)));
        return this;
    }

    /// <summary>A value gone with what was deleted: only <c>old_value</c>.</summary>
    public AuditChanges Deleted<T>(string key, T value)
    {
        if (value is not null)
            _changes.Add(new AuditChange(key, Wire(value), null));
        return this;
    }

    public AuditChanges Add<T>(string key, T oldValue, T newValue)
    {
        if (!EqualityComparer<T>.Default.Equals(oldValue, newValue))
            _changes.Add(new AuditChange(key, Wire(oldValue), Wire(newValue)));
        return this;
    }

    // Ids and permission bit fields are strings on the wire, as everywhere else.
    private static object? Wire<T>(T value) => value switch
    {
        long l => l.ToString(System.Globalization.CultureInfo.InvariantCulture),
        Permissions.Permissions p => ((ulong)p).ToString(System.Globalization.CultureInfo.InvariantCulture),
        _ => value,
    };
}
