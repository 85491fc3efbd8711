using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Sqlite.Migrations
{
    /// <summary>
    /// Kept in step with the PostgreSQL migration of the same name, which turns off the search
    /// index's pending list. SQLite's FTS5 index has no such list: nothing to do here.
    /// </summary>
    public partial class MessageSearchIndexNoPendingList : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
        }
    }
}
