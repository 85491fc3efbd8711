namespace Together.Data.Entities;

public sealed class Role
{
    /// <summary>The @everyone role's id equals its guild's id, as on Discord.</summary>
    public long Id { get; set; }

    public long GuildId { get; set; }

    public Guild? Guild { get; set; }

    public required string Name { get; set; }

    public int Color { get; set; }

    public bool Hoist { get; set; }

    public int Position { get; set; }

    /// <summary>Discord permission bits.</summary>
    public long Permissions { get; set; }

    public bool Managed { get; set; }

    public bool Mentionable { get; set; }

    public string? IconHash { get; set; }

    public string? UnicodeEmoji { get; set; }
}
