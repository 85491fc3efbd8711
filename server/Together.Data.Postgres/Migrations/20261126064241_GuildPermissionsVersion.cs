using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Postgres.Migrations
{
    /// <summary>
    /// <c>guilds.permissions_version</c>, moved by triggers in the same transaction as any change to
    /// the guild's roles, channels or permission overwrites, so that a server instance may keep
    /// those rows in memory and know from one column, read with the caller's membership, whether
    /// its copy is current. Channel updates count only for the columns listed (every column but
    /// <c>last_message_id</c> and <c>last_pin_timestamp</c>, which move with every message or pin); a
    /// test compares the list with the model, so a new channel column fails it until a migration
    /// recreates the trigger.
    /// </summary>
    public partial class GuildPermissionsVersion : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<long>(
                name: "permissions_version",
                table: "guilds",
                type: "bigint",
                nullable: false,
                defaultValue: 0L);

            migrationBuilder.Sql("""
                CREATE FUNCTION guilds_bump_permissions_version() RETURNS trigger LANGUAGE plpgsql AS $$
                DECLARE
                    old_guild bigint;
                    new_guild bigint;
                BEGIN
                    IF TG_TABLE_NAME = 'permission_overwrites' THEN
                        IF TG_OP <> 'INSERT' THEN SELECT guild_id INTO old_guild FROM channels WHERE id = OLD.channel_id; END IF;
                        IF TG_OP <> 'DELETE' THEN SELECT guild_id INTO new_guild FROM channels WHERE id = NEW.channel_id; END IF;
                    ELSE
                        IF TG_OP <> 'INSERT' THEN old_guild := OLD.guild_id; END IF;
                        IF TG_OP <> 'DELETE' THEN new_guild := NEW.guild_id; END IF;
                    END IF;
                    UPDATE guilds SET permissions_version = permissions_version + 1 WHERE id IN (old_guild, new_guild);
                    RETURN NULL;
                END $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER roles_bump_permissions_version AFTER INSERT OR UPDATE OR DELETE ON roles
                FOR EACH ROW EXECUTE FUNCTION guilds_bump_permissions_version();
                CREATE TRIGGER permission_overwrites_bump_permissions_version AFTER INSERT OR UPDATE OR DELETE ON permission_overwrites
                FOR EACH ROW EXECUTE FUNCTION guilds_bump_permissions_version();
                CREATE TRIGGER channels_bump_permissions_version
                AFTER INSERT OR DELETE OR UPDATE OF guild_id, type, name, topic, position, parent_id, nsfw, rate_limit_per_user, bitrate, user_limit, rtc_region ON channels
                FOR EACH ROW EXECUTE FUNCTION guilds_bump_permissions_version();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                DROP TRIGGER IF EXISTS roles_bump_permissions_version ON roles;
                DROP TRIGGER IF EXISTS permission_overwrites_bump_permissions_version ON permission_overwrites;
                DROP TRIGGER IF EXISTS channels_bump_permissions_version ON channels;
                DROP FUNCTION IF EXISTS guilds_bump_permissions_version();
                """);
            migrationBuilder.DropColumn(
                name: "permissions_version",
                table: "guilds");
        }
    }
}
