using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class MessageNonce : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.AddColumn<string>(
                name: "nonce",
                table: "messages",
                type: "TEXT",
                maxLength: 64,
                nullable: true);
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropColumn(
                name: "nonce",
                table: "messages");
        }
    }
}
