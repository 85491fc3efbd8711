using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Sqlite.Migrations
{
    /// <summary>
    /// Keeps <c>channels.last_message_id</c> in step with inserts by a trigger, as on PostgreSQL
    /// (see that migration for why). TRAP: like the search triggers, a later migration that makes
    /// EF rebuild the messages table drops this trigger; run this Up again after such a rebuild.
    /// </summary>
    public partial class ChannelLastMessageTrigger : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("""
                CREATE TRIGGER messages_channel_last_message_id AFTER INSERT ON messages BEGIN
                    UPDATE channels SET last_message_id = new.id
                    WHERE id = new.channel_id AND (last_message_id IS NULL OR last_message_id < new.id);
                END;
                """);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP TRIGGER IF EXISTS messages_channel_last_message_id;");
        }
    }
}
