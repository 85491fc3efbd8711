using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Sqlite.Migrations
{
    /// <summary>
    /// Nothing to do on SQLite: FTS5 already stores its index apart (MessageSearch). The migration
    /// exists so both providers keep the same migration list.
    /// </summary>
    public partial class MessageSearchVector : Migration
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
