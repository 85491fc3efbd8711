using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Postgres.Migrations
{
    /// <summary>
    /// Full-text search over message content: a GIN index on the 'simple' text search
    /// configuration (no stemming: communities write in many languages and in game slang).
    /// Queries must use the same expression, to_tsvector('simple', content), to hit it.
    /// Not part of the EF model.
    /// </summary>
    public partial class MessageSearch : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("CREATE INDEX ix_messages_content_fts ON messages USING GIN (to_tsvector('simple', content));");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.Sql("DROP INDEX IF EXISTS ix_messages_content_fts;");
        }
    }
}
