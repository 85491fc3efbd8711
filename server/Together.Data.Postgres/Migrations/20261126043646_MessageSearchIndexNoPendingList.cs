using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Postgres.Migrations
{
    /// <summary>
    /// The search index without GIN's pending list (<c>fastupdate = off</c>). With it, inserts
    /// append to a list that the unlucky insert which fills it (4 MB by default) merges into the
    /// index, inside that user's message send: tens of milliseconds now and then, the tail of
    /// the send latency. Without it each insert updates the index itself, a few words a message.
    /// </summary>
    public partial class MessageSearchIndexNoPendingList : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER INDEX ix_messages_search_vector SET (fastupdate = off);");
            // What the pending list already holds goes into the index now, not in a later send.
            migrationBuilder.Sql("SELECT gin_clean_pending_list('ix_messages_search_vector'::regclass);");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("ALTER INDEX ix_messages_search_vector RESET (fastupdate);");
        }
    }
}
