using Microsoft.EntityFrameworkCore.Migrations;

#nullable disable

namespace Together.Data.Sqlite.Migrations
{
    /// <inheritdoc />
    public partial class Initial : Migration
    {
        /// <inheritdoc />
        protected override void Up(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.CreateTable(
                name: "users",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    username = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    normalized_username = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    global_name = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    normalized_email = table.Column<string>(type: "TEXT", maxLength: 254, nullable: true),
                    password_hash = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    avatar_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    banner_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    bio = table.Column<string>(type: "TEXT", maxLength: 190, nullable: true),
                    accent_color = table.Column<int>(type: "INTEGER", nullable: true),
                    is_bot = table.Column<bool>(type: "INTEGER", nullable: false),
                    flags = table.Column<long>(type: "INTEGER", nullable: false),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_users", x => x.id);
                });

            migrationBuilder.CreateTable(
                name: "guilds",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    icon_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    description = table.Column<string>(type: "TEXT", maxLength: 300, nullable: true),
                    owner_id = table.Column<long>(type: "INTEGER", nullable: false),
                    system_channel_id = table.Column<long>(type: "INTEGER", nullable: true),
                    afk_channel_id = table.Column<long>(type: "INTEGER", nullable: true),
                    afk_timeout = table.Column<int>(type: "INTEGER", nullable: false),
                    verification_level = table.Column<int>(type: "INTEGER", nullable: false),
                    default_message_notifications = table.Column<int>(type: "INTEGER", nullable: false),
                    explicit_content_filter = table.Column<int>(type: "INTEGER", nullable: false),
                    preferred_locale = table.Column<string>(type: "TEXT", maxLength: 16, nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_guilds", x => x.id);
                    table.ForeignKey(
                        name: "fk_guilds_users_owner_id",
                        column: x => x.owner_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "sessions",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    family_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    token_hash = table.Column<byte[]>(type: "BLOB", maxLength: 32, nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: false),
                    rotated_at = table.Column<long>(type: "INTEGER", nullable: true),
                    revoked_at = table.Column<long>(type: "INTEGER", nullable: true),
                    user_agent = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    ip_address = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_sessions", x => x.id);
                    table.ForeignKey(
                        name: "fk_sessions_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "audit_log_entries",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: true),
                    target_id = table.Column<long>(type: "INTEGER", nullable: true),
                    action_type = table.Column<int>(type: "INTEGER", nullable: false),
                    changes_json = table.Column<string>(type: "TEXT", nullable: true),
                    options_json = table.Column<string>(type: "TEXT", nullable: true),
                    reason = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_audit_log_entries", x => x.id);
                    table.ForeignKey(
                        name: "fk_audit_log_entries_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "bans",
                columns: table => new
                {
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    reason = table.Column<string>(type: "TEXT", maxLength: 512, nullable: true),
                    moderator_id = table.Column<long>(type: "INTEGER", nullable: true),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_bans", x => new { x.guild_id, x.user_id });
                    table.ForeignKey(
                        name: "fk_bans_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_bans_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "channels",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    guild_id = table.Column<long>(type: "INTEGER", nullable: true),
                    type = table.Column<int>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: true),
                    topic = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    position = table.Column<int>(type: "INTEGER", nullable: false),
                    parent_id = table.Column<long>(type: "INTEGER", nullable: true),
                    nsfw = table.Column<bool>(type: "INTEGER", nullable: false),
                    rate_limit_per_user = table.Column<int>(type: "INTEGER", nullable: false),
                    bitrate = table.Column<int>(type: "INTEGER", nullable: true),
                    user_limit = table.Column<int>(type: "INTEGER", nullable: true),
                    rtc_region = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    last_message_id = table.Column<long>(type: "INTEGER", nullable: true),
                    last_pin_timestamp = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_channels", x => x.id);
                    table.ForeignKey(
                        name: "fk_channels_channels_parent_id",
                        column: x => x.parent_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                    table.ForeignKey(
                        name: "fk_channels_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "guild_members",
                columns: table => new
                {
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    nick = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true),
                    avatar_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    joined_at = table.Column<long>(type: "INTEGER", nullable: false),
                    communication_disabled_until = table.Column<long>(type: "INTEGER", nullable: true),
                    mute = table.Column<bool>(type: "INTEGER", nullable: false),
                    deaf = table.Column<bool>(type: "INTEGER", nullable: false),
                    joined_with_invite_code = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_guild_members", x => new { x.guild_id, x.user_id });
                    table.ForeignKey(
                        name: "fk_guild_members_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_guild_members_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "roles",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    color = table.Column<int>(type: "INTEGER", nullable: false),
                    hoist = table.Column<bool>(type: "INTEGER", nullable: false),
                    position = table.Column<int>(type: "INTEGER", nullable: false),
                    permissions = table.Column<long>(type: "INTEGER", nullable: false),
                    managed = table.Column<bool>(type: "INTEGER", nullable: false),
                    mentionable = table.Column<bool>(type: "INTEGER", nullable: false),
                    icon_hash = table.Column<string>(type: "TEXT", maxLength: 64, nullable: true),
                    unicode_emoji = table.Column<string>(type: "TEXT", maxLength: 32, nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_roles", x => x.id);
                    table.ForeignKey(
                        name: "fk_roles_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "invites",
                columns: table => new
                {
                    code = table.Column<string>(type: "TEXT", maxLength: 32, nullable: false),
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    inviter_id = table.Column<long>(type: "INTEGER", nullable: true),
                    max_age = table.Column<int>(type: "INTEGER", nullable: false),
                    max_uses = table.Column<int>(type: "INTEGER", nullable: false),
                    uses = table.Column<int>(type: "INTEGER", nullable: false),
                    temporary = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false),
                    expires_at = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_invites", x => x.code);
                    table.ForeignKey(
                        name: "fk_invites_channels_channel_id",
                        column: x => x.channel_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_invites_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_invites_users_inviter_id",
                        column: x => x.inviter_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.SetNull);
                });

            migrationBuilder.CreateTable(
                name: "messages",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    guild_id = table.Column<long>(type: "INTEGER", nullable: true),
                    author_id = table.Column<long>(type: "INTEGER", nullable: false),
                    type = table.Column<int>(type: "INTEGER", nullable: false),
                    content = table.Column<string>(type: "TEXT", maxLength: 4000, nullable: false),
                    edited_at = table.Column<long>(type: "INTEGER", nullable: true),
                    deleted_at = table.Column<long>(type: "INTEGER", nullable: true),
                    referenced_message_id = table.Column<long>(type: "INTEGER", nullable: true),
                    pinned = table.Column<bool>(type: "INTEGER", nullable: false),
                    tts = table.Column<bool>(type: "INTEGER", nullable: false),
                    mention_everyone = table.Column<bool>(type: "INTEGER", nullable: false),
                    mention_user_ids = table.Column<string>(type: "TEXT", nullable: false),
                    mention_role_ids = table.Column<string>(type: "TEXT", nullable: false),
                    flags = table.Column<int>(type: "INTEGER", nullable: false),
                    embeds_json = table.Column<string>(type: "TEXT", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_messages", x => x.id);
                    table.ForeignKey(
                        name: "fk_messages_channels_channel_id",
                        column: x => x.channel_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_messages_users_author_id",
                        column: x => x.author_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Restrict);
                });

            migrationBuilder.CreateTable(
                name: "permission_overwrites",
                columns: table => new
                {
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    target_id = table.Column<long>(type: "INTEGER", nullable: false),
                    type = table.Column<int>(type: "INTEGER", nullable: false),
                    allow = table.Column<long>(type: "INTEGER", nullable: false),
                    deny = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_permission_overwrites", x => new { x.channel_id, x.target_id });
                    table.ForeignKey(
                        name: "fk_permission_overwrites_channels_channel_id",
                        column: x => x.channel_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "read_states",
                columns: table => new
                {
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    last_message_id = table.Column<long>(type: "INTEGER", nullable: false),
                    mention_count = table.Column<int>(type: "INTEGER", nullable: false),
                    last_pin_timestamp = table.Column<long>(type: "INTEGER", nullable: true)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_read_states", x => new { x.user_id, x.channel_id });
                    table.ForeignKey(
                        name: "fk_read_states_channels_channel_id",
                        column: x => x.channel_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_read_states_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "voice_states",
                columns: table => new
                {
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    session_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    self_mute = table.Column<bool>(type: "INTEGER", nullable: false),
                    self_deaf = table.Column<bool>(type: "INTEGER", nullable: false),
                    self_video = table.Column<bool>(type: "INTEGER", nullable: false),
                    self_stream = table.Column<bool>(type: "INTEGER", nullable: false),
                    suppress = table.Column<bool>(type: "INTEGER", nullable: false),
                    request_to_speak_timestamp = table.Column<long>(type: "INTEGER", nullable: true),
                    instance_id = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    updated_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_voice_states", x => new { x.guild_id, x.user_id });
                    table.ForeignKey(
                        name: "fk_voice_states_channels_channel_id",
                        column: x => x.channel_id,
                        principalTable: "channels",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_voice_states_guilds_guild_id",
                        column: x => x.guild_id,
                        principalTable: "guilds",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_voice_states_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "member_roles",
                columns: table => new
                {
                    guild_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    role_id = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_member_roles", x => new { x.guild_id, x.user_id, x.role_id });
                    table.ForeignKey(
                        name: "fk_member_roles_guild_members_guild_id_user_id",
                        columns: x => new { x.guild_id, x.user_id },
                        principalTable: "guild_members",
                        principalColumns: new[] { "guild_id", "user_id" },
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_member_roles_roles_role_id",
                        column: x => x.role_id,
                        principalTable: "roles",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "attachments",
                columns: table => new
                {
                    id = table.Column<long>(type: "INTEGER", nullable: false),
                    message_id = table.Column<long>(type: "INTEGER", nullable: false),
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    filename = table.Column<string>(type: "TEXT", maxLength: 255, nullable: false),
                    description = table.Column<string>(type: "TEXT", maxLength: 1024, nullable: true),
                    content_type = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    size = table.Column<long>(type: "INTEGER", nullable: false),
                    storage_key = table.Column<string>(type: "TEXT", maxLength: 64, nullable: false),
                    width = table.Column<int>(type: "INTEGER", nullable: true),
                    height = table.Column<int>(type: "INTEGER", nullable: true),
                    spoiler = table.Column<bool>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_attachments", x => x.id);
                    table.ForeignKey(
                        name: "fk_attachments_messages_message_id",
                        column: x => x.message_id,
                        principalTable: "messages",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "pins",
                columns: table => new
                {
                    channel_id = table.Column<long>(type: "INTEGER", nullable: false),
                    message_id = table.Column<long>(type: "INTEGER", nullable: false),
                    pinned_by_id = table.Column<long>(type: "INTEGER", nullable: false),
                    pinned_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_pins", x => new { x.channel_id, x.message_id });
                    table.ForeignKey(
                        name: "fk_pins_messages_message_id",
                        column: x => x.message_id,
                        principalTable: "messages",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateTable(
                name: "reactions",
                columns: table => new
                {
                    message_id = table.Column<long>(type: "INTEGER", nullable: false),
                    user_id = table.Column<long>(type: "INTEGER", nullable: false),
                    emoji_key = table.Column<string>(type: "TEXT", maxLength: 128, nullable: false),
                    emoji_id = table.Column<long>(type: "INTEGER", nullable: true),
                    emoji_name = table.Column<string>(type: "TEXT", maxLength: 100, nullable: false),
                    burst = table.Column<bool>(type: "INTEGER", nullable: false),
                    created_at = table.Column<long>(type: "INTEGER", nullable: false)
                },
                constraints: table =>
                {
                    table.PrimaryKey("pk_reactions", x => new { x.message_id, x.emoji_key, x.user_id });
                    table.ForeignKey(
                        name: "fk_reactions_messages_message_id",
                        column: x => x.message_id,
                        principalTable: "messages",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                    table.ForeignKey(
                        name: "fk_reactions_users_user_id",
                        column: x => x.user_id,
                        principalTable: "users",
                        principalColumn: "id",
                        onDelete: ReferentialAction.Cascade);
                });

            migrationBuilder.CreateIndex(
                name: "ix_attachments_channel_id",
                table: "attachments",
                column: "channel_id");

            migrationBuilder.CreateIndex(
                name: "ix_attachments_message_id",
                table: "attachments",
                column: "message_id");

            migrationBuilder.CreateIndex(
                name: "ix_attachments_storage_key",
                table: "attachments",
                column: "storage_key");

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_entries_guild_id_action_type_id",
                table: "audit_log_entries",
                columns: new[] { "guild_id", "action_type", "id" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_entries_guild_id_id",
                table: "audit_log_entries",
                columns: new[] { "guild_id", "id" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_audit_log_entries_guild_id_user_id_id",
                table: "audit_log_entries",
                columns: new[] { "guild_id", "user_id", "id" },
                descending: new[] { false, false, true });

            migrationBuilder.CreateIndex(
                name: "ix_bans_user_id",
                table: "bans",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_channels_guild_id",
                table: "channels",
                column: "guild_id");

            migrationBuilder.CreateIndex(
                name: "ix_channels_parent_id",
                table: "channels",
                column: "parent_id");

            migrationBuilder.CreateIndex(
                name: "ix_guild_members_user_id",
                table: "guild_members",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_guilds_owner_id",
                table: "guilds",
                column: "owner_id");

            migrationBuilder.CreateIndex(
                name: "ix_invites_channel_id",
                table: "invites",
                column: "channel_id");

            migrationBuilder.CreateIndex(
                name: "ix_invites_expires_at",
                table: "invites",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_invites_guild_id",
                table: "invites",
                column: "guild_id");

            migrationBuilder.CreateIndex(
                name: "ix_invites_inviter_id",
                table: "invites",
                column: "inviter_id");

            migrationBuilder.CreateIndex(
                name: "ix_member_roles_role_id",
                table: "member_roles",
                column: "role_id");

            migrationBuilder.CreateIndex(
                name: "ix_messages_author_id_id",
                table: "messages",
                columns: new[] { "author_id", "id" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_messages_channel_id_id",
                table: "messages",
                columns: new[] { "channel_id", "id" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_messages_channel_id_pinned",
                table: "messages",
                columns: new[] { "channel_id", "pinned" });

            migrationBuilder.CreateIndex(
                name: "ix_messages_guild_id_id",
                table: "messages",
                columns: new[] { "guild_id", "id" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_permission_overwrites_target_id",
                table: "permission_overwrites",
                column: "target_id");

            migrationBuilder.CreateIndex(
                name: "ix_pins_channel_id_pinned_at",
                table: "pins",
                columns: new[] { "channel_id", "pinned_at" },
                descending: new[] { false, true });

            migrationBuilder.CreateIndex(
                name: "ix_pins_message_id",
                table: "pins",
                column: "message_id");

            migrationBuilder.CreateIndex(
                name: "ix_reactions_user_id",
                table: "reactions",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_read_states_channel_id",
                table: "read_states",
                column: "channel_id");

            migrationBuilder.CreateIndex(
                name: "ix_roles_guild_id",
                table: "roles",
                column: "guild_id");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_expires_at",
                table: "sessions",
                column: "expires_at");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_family_id",
                table: "sessions",
                column: "family_id");

            migrationBuilder.CreateIndex(
                name: "ix_sessions_token_hash",
                table: "sessions",
                column: "token_hash",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_sessions_user_id",
                table: "sessions",
                column: "user_id");

            migrationBuilder.CreateIndex(
                name: "ix_users_normalized_email",
                table: "users",
                column: "normalized_email",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_users_normalized_username",
                table: "users",
                column: "normalized_username",
                unique: true);

            migrationBuilder.CreateIndex(
                name: "ix_voice_states_channel_id",
                table: "voice_states",
                column: "channel_id");

            migrationBuilder.CreateIndex(
                name: "ix_voice_states_instance_id",
                table: "voice_states",
                column: "instance_id");

            migrationBuilder.CreateIndex(
                name: "ix_voice_states_user_id",
                table: "voice_states",
                column: "user_id");
        }

        /// <inheritdoc />
        protected override void Down(MigrationBuilder migrationBuilder)
        {
            migrationBuilder.DropTable(
                name: "attachments");

            migrationBuilder.DropTable(
                name: "audit_log_entries");

            migrationBuilder.DropTable(
                name: "bans");

            migrationBuilder.DropTable(
                name: "invites");

            migrationBuilder.DropTable(
                name: "member_roles");

            migrationBuilder.DropTable(
                name: "permission_overwrites");

            migrationBuilder.DropTable(
                name: "pins");

            migrationBuilder.DropTable(
                name: "reactions");

            migrationBuilder.DropTable(
                name: "read_states");

            migrationBuilder.DropTable(
                name: "sessions");

            migrationBuilder.DropTable(
                name: "voice_states");

            migrationBuilder.DropTable(
                name: "guild_members");

            migrationBuilder.DropTable(
                name: "roles");

            migrationBuilder.DropTable(
                name: "messages");

            migrationBuilder.DropTable(
                name: "channels");

            migrationBuilder.DropTable(
                name: "guilds");

            migrationBuilder.DropTable(
                name: "users");
        }
    }
}
