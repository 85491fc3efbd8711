using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Sqlite.Migrations
{
    /// <summary>
    /// <c>guilds.permissions_version</c> and its triggers, as on PostgreSQL (see that migration for
    /// why). TRAP: a later migration that makes EF rebuild the roles, channels or
    /// permission_overwrites table drops these triggers; create them again after such a rebuild.
    /// </summary>
    public partial class GuildPermissionsVersion : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "permissions_version",
                table: "guilds",
                type: "INTEGER",
                nullable: false,
                defaultValue: 0L);

            foreach (var trigger in Triggers)
                migrationBuilder.Sql(trigger);
        }

        private static readonly string[] Triggers =
        [
            """
            CREATE TRIGGER roles_insert_bump_permissions_version AFTER INSERT ON roles BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id = new.guild_id;
            END;
            """,
            """
            CREATE TRIGGER channels_insert_bump_permissions_version AFTER INSERT ON channels BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id = new.guild_id;
            END;
            """,
            """
            CREATE TRIGGER permission_overwrites_insert_bump_permissions_version AFTER INSERT ON permission_overwrites BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id = (SELECT guild_id FROM channels WHERE id = new.channel_id);
            END;
            """,
            """
            CREATE TRIGGER roles_delete_bump_permissions_version AFTER DELETE ON roles BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id = old.guild_id;
            END;
            """,
            """
            CREATE TRIGGER channels_delete_bump_permissions_version AFTER DELETE ON channels BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id = old.guild_id;
            END;
            """,
            """
            CREATE TRIGGER permission_overwrites_delete_bump_permissions_version AFTER DELETE ON permission_overwrites BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id = (SELECT guild_id FROM channels WHERE id = old.channel_id);
            END;
            """,
            """
            CREATE TRIGGER roles_update_bump_permissions_version AFTER UPDATE ON roles BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id IN (new.guild_id, old.guild_id);
            END;
            """,
            """
            CREATE TRIGGER channels_update_bump_permissions_version AFTER UPDATE OF guild_id, type, name, topic, position, parent_id, nsfw, rate_limit_per_user, bitrate, user_limit, rtc_region ON channels BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id IN (new.guild_id, old.guild_id);
            END;
            """,
            """
            CREATE TRIGGER permission_overwrites_update_bump_permissions_version AFTER UPDATE ON permission_overwrites BEGIN
                UPDATE guilds SET permissions_version = permissions_version + 1
                WHERE id IN (SELECT guild_id FROM channels WHERE id IN (new.channel_id, old.channel_id));
            END;
            """
        ];

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS roles_insert_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS channels_insert_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS permission_overwrites_insert_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS roles_delete_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS channels_delete_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS permission_overwrites_delete_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS roles_update_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS channels_update_bump_permissions_version;");
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS permission_overwrites_update_bump_permissions_version;");
            migrationBuilder.DropColumn(
                name: "permissions_version",
                table: "guilds");
        }
    }
}
