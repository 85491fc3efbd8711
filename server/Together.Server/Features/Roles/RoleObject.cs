using Together.Data.Entities;
using Together.Data.Snowflakes;
using Together.Server.Features.Permissions;

namespace Together.Server.Features.Roles;

/// <summary>Discord's role object.</summary>
public sealed record RoleObject(
    Snowflake Id,
    string Name,
    int Color,
    bool Hoist,
    string? Icon,
    string? UnicodeEmoji,
    int Position,
    Permissions.Permissions Permissions,
    bool Managed,
    bool Mentionable,
    int Flags)
{
    public static RoleObject From(Role role)
    {
        ArgumentNullException.ThrowIfNull(role);
        return new(role.Id, role.Name, role.Color, role.Hoist, role.IconHash, role.UnicodeEmoji, role.Position,
            (Permissions.Permissions)role.Permissions, role.Managed, role.Mentionable, 0);
    }

    /// <summary>Discord orders roles by position, then by id.</summary>
    public static IEnumerable<Role> Ordered(IEnumerable<Role> roles) => roles.OrderBy(r => r.Position).ThenBy(r => r.Id);
}
