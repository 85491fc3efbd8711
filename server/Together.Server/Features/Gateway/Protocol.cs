using System.Buffers;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Together.Server.Infrastructure;

namespace Together.Server.Features.Gateway;

/// <summary>Discord gateway opcodes (https://discord.com/developers/docs/topics/opcodes-and-status-codes).</summary>
public static class Op
{
    public const int Dispatch = 0;
    public const int Heartbeat = 1;
    public const int Identify = 2;
    public const int PresenceUpdate = 3;
    public const int VoiceStateUpdate = 4;
    public const int Resume = 6;
    public const int Reconnect = 7;
    public const int RequestGuildMembers = 8;
    public const int InvalidSession = 9;
    public const int Hello = 10;
    public const int HeartbeatAck = 11;
}

/// <summary>Discord's gateway close codes.</summary>
public static class CloseCode
{
    public const int UnknownError = 4000;
    public const int UnknownOpcode = 4001;
    public const int DecodeError = 4002;
    public const int NotAuthenticated = 4003;
    public const int AuthenticationFailed = 4004;
    public const int AlreadyAuthenticated = 4005;
    public const int InvalidSeq = 4007;
    public const int RateLimited = 4008;
    public const int SessionTimedOut = 4009;
    public const int InvalidShard = 4010;
    public const int InvalidApiVersion = 4012;
    public const int InvalidIntents = 4013;
    public const int DisallowedIntents = 4014;
}

/// <summary>Gateway intents: which groups of events a connection wants.</summary>
[Flags]
public enum Intents
{
    None = 0,
    Guilds = 1 << 0,
    GuildMembers = 1 << 1,
    GuildModeration = 1 << 2,
    GuildExpressions = 1 << 3,
    GuildIntegrations = 1 << 4,
    GuildWebhooks = 1 << 5,
    GuildInvites = 1 << 6,
    GuildVoiceStates = 1 << 7,
    GuildPresences = 1 << 8,
    GuildMessages = 1 << 9,
    GuildMessageReactions = 1 << 10,
    GuildMessageTyping = 1 << 11,
    DirectMessages = 1 << 12,
    DirectMessageReactions = 1 << 13,
    DirectMessageTyping = 1 << 14,
    MessageContent = 1 << 15,
    GuildScheduledEvents = 1 << 16,
    AutoModerationConfiguration = 1 << 20,
    AutoModerationExecution = 1 << 21,
    GuildMessagePolls = 1 << 24,
    DirectMessagePolls = 1 << 25,
}

public static class IntentRules
{
    /// <summary>Every intent Discord defines (bits 0–16, 20, 21, 24, 25).</summary>
    public const Intents Known = (Intents)((1 << 17) - 1) | Intents.AutoModerationConfiguration | Intents.AutoModerationExecution
        | Intents.GuildMessagePolls | Intents.DirectMessagePolls;
}

/// <summary>An incoming frame; <c>d</c> stays raw until the opcode's handler reads it.</summary>
public sealed record IncomingFrame(int? Op, JsonElement D, int? S, string? T);

public sealed record IdentifyProperties(string? Os, string? Browser, string? Device);

public sealed record ActivityPayload(string? Name, int? Type, string? State, string? Url);

public sealed record PresencePayload(long? Since, IReadOnlyList<ActivityPayload>? Activities, string? Status, bool? Afk);

public sealed record IdentifyPayload(
    string? Token,
    IdentifyProperties? Properties,
    bool? Compress,
    int? LargeThreshold,
    int[]? Shard,
    PresencePayload? Presence,
    long? Intents);

public sealed record ResumePayload(string? Token, string? SessionId, int? Seq);

public sealed record RequestGuildMembersPayload(
    JsonElement GuildId, string? Query, int? Limit, bool? Presences, JsonElement UserIds, string? Nonce);

public sealed record HelloPayload(int HeartbeatInterval);

/// <summary>The JSON options frames are written and read with: Discord's snake_case.</summary>
public static class GatewayJson
{
    public static JsonSerializerOptions Options { get; } = Create();

    private static JsonSerializerOptions Create()
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web);
        Infrastructure.Json.Configure(options);
        options.DefaultIgnoreCondition = JsonIgnoreCondition.Never;
        return options;
    }

    private static readonly JsonWriterOptions WriterOptions = new() { Encoder = Options.Encoder, MaxDepth = Options.MaxDepth };

    /// <summary>
    /// <paramref name="payload"/>'s JSON object with more members after its own (names are ours
    /// and not in the payload's type): what a <c>JsonObject</c> would give, written straight into
    /// one pooled buffer. A GUILD_CREATE with 250 members is about 100 KB; built through a DOM it
    /// left half a dozen arrays that size on the large-object heap at every join and identify.
    /// </summary>
    public static byte[] ObjectWith<T>(T payload, params ReadOnlySpan<(string Name, object? Value)> extra)
    {
        using var buffer = new PooledBufferWriter();
        using var writer = new Utf8JsonWriter(buffer, WriterOptions);
        JsonSerializer.Serialize(writer, payload, Options);
        writer.Flush();
        if (buffer.WrittenCount < 2 || buffer.WrittenSpan[^1] != (byte)'}')
            throw new ArgumentException("The payload must serialise to a JSON object.", nameof(payload));
        var empty = buffer.WrittenCount == 2;
        buffer.Unwrite(1); // the closing brace: the extra members go before it
        foreach (var (name, value) in extra)
        {
            buffer.Write(empty ? "\""u8 : ",\""u8);
            empty = false;
            Encoding.UTF8.GetBytes(name, buffer);
            buffer.Write("\":"u8);
            writer.Reset(buffer);
            JsonSerializer.Serialize(writer, value, Options);
            writer.Flush();
        }
        buffer.Write("}"u8);
        return buffer.WrittenSpan.ToArray();
    }
}

/// <summary>Snowflakes in client frames: strings as Discord sends them, or plain numbers, which many clients send.</summary>
public static class PayloadIds
{
    /// <summary>True for null/absent (<paramref name="id"/> null) or a valid id; false for anything else.</summary>
    public static bool TryId(System.Text.Json.JsonElement element, out long? id)
    {
        id = null;
        switch (element.ValueKind)
        {
            case System.Text.Json.JsonValueKind.Null or System.Text.Json.JsonValueKind.Undefined:
                return true;
            case System.Text.Json.JsonValueKind.String when Data.Snowflakes.Snowflake.TryParse(element.GetString(), out var parsed):
                id = parsed.Value;
                return true;
            case System.Text.Json.JsonValueKind.Number when element.TryGetInt64(out var number) && number >= 0:
                id = number;
                return true;
            default:
                return false;
        }
    }
}
