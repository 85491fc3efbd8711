using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Postgres.Migrations
{
    /// <summary>
    /// Keeps <c>channels.last_message_id</c> in step with inserts by a trigger instead of an UPDATE
    /// that each send adds to its own transaction: a message is then one INSERT, one round trip,
    /// no explicit transaction (no separate COMMIT), and the channel row is locked only for the
    /// moment of that statement. Only ever moves forward, so out-of-order inserts are harmless.
    /// Per statement, over the statement's new rows: a COPY of a million messages updates each
    /// channel once, not a million times.
    /// </summary>
    public partial class ChannelLastMessageTrigger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE FUNCTION messages_bump_channel_last_message_id() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    UPDATE channels AS c SET last_message_id = n.last_id
                    FROM (SELECT channel_id, max(id) AS last_id FROM inserted GROUP BY channel_id) AS n
                    WHERE c.id = n.channel_id AND (c.last_message_id IS NULL OR c.last_message_id < n.last_id);
                    RETURN NULL;
                END $$;
                """);
            migrationBuilder.Sql("""
                CREATE TRIGGER messages_channel_last_message_id AFTER INSERT ON messages
                REFERENCING NEW TABLE AS inserted
                FOR EACH STATEMENT EXECUTE FUNCTION messages_bump_channel_last_message_id();
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS messages_channel_last_message_id ON messages;");
            migrationBuilder.Sql("DROP FUNCTION IF EXISTS messages_bump_channel_last_message_id();");
        }
    }
}
