using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Together.Data.Snowflakes;

/// <summary>
/// A Discord-style snowflake id: 42 bits of milliseconds since the Discord epoch, 5 bits worker,
/// 5 bits process, 12 bits increment. On the wire it is a decimal string, as Discord sends it,
/// because JavaScript numbers lose precision above 2^53.
/// </summary>
[JsonConverter(typeof(SnowflakeJsonConverter))]
public readonly record struct Snowflake(long Value) : IComparable<Snowflake>, IParsable<Snowflake>
{
    /// <summary>2015-01-01T00:00:00Z in Unix milliseconds.</summary>
    public const long DiscordEpochMs = 1420070400000;

    public DateTimeOffset Timestamp => DateTimeOffset.FromUnixTimeMilliseconds((Value >> 22) + DiscordEpochMs);

    public int WorkerId => (int)((Value >> 17) & 0x1F);

    public int ProcessId => (int)((Value >> 12) & 0x1F);

    public int Increment => (int)(Value & 0xFFF);

    /// <summary>The smallest snowflake at the given instant: for keyset queries by time.</summary>
    public static Snowflake FromTimestamp(DateTimeOffset time) =>
        new(Math.Max(0, time.ToUnixTimeMilliseconds() - DiscordEpochMs) << 22);

    public static implicit operator long(Snowflake id) => id.Value;

    public static implicit operator Snowflake(long value) => new(value);

    public long ToInt64() => Value;

    public static Snowflake FromInt64(long value) => new(value);

    public int CompareTo(Snowflake other) => Value.CompareTo(other.Value);

    public static bool operator <(Snowflake left, Snowflake right) => left.Value < right.Value;

    public static bool operator >(Snowflake left, Snowflake right) => left.Value > right.Value;

    public static bool operator <=(Snowflake left, Snowflake right) => left.Value <= right.Value;

    public static bool operator >=(Snowflake left, Snowflake right) => left.Value >= right.Value;

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);

    public static Snowflake Parse(string s, IFormatProvider? provider) =>
        TryParse(s, provider, out var id) ? id : throw new FormatException($"'{s}' is not a snowflake.");

    /// <summary>Accepts what Discord accepts: a non-negative decimal that fits in 63 bits.</summary>
    public static bool TryParse([NotNullWhen(true)] string? s, IFormatProvider? provider, out Snowflake result) =>
        TryParse(s.AsSpan(), out result);

    public static bool TryParse(string? s, out Snowflake result) => TryParse(s.AsSpan(), out result);

    public static bool TryParse(ReadOnlySpan<char> s, out Snowflake result)
    {
        if (s.Length is > 0 and <= 19
            && long.TryParse(s, NumberStyles.None, CultureInfo.InvariantCulture, out var value))
        {
            result = new Snowflake(value);
            return true;
        }
        result = default;
        return false;
    }
}

/// <summary>Writes snowflakes as strings; reads strings or numbers, as Discord's API does.</summary>
public sealed class SnowflakeJsonConverter : JsonConverter<Snowflake>
{
    public override Snowflake Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetInt64(out var number) && number >= 0)
            return new Snowflake(number);
        if (reader.TokenType == JsonTokenType.String)
        {
            Span<char> buffer = stackalloc char[24];
            var length = reader.HasValueSequence || reader.ValueSpan.Length > buffer.Length
                ? -1
                : reader.CopyString(buffer);
            if (length > 0 && Snowflake.TryParse(buffer[..length], out var id))
                return id;
        }
        throw new JsonException("Value is not snowflake.");
    }

    public override void Write(Utf8JsonWriter writer, Snowflake value, JsonSerializerOptions options)
    {
        Span<byte> buffer = stackalloc byte[20];
        value.Value.TryFormat(buffer, out var written, default, CultureInfo.InvariantCulture);
        writer.WriteStringValue(buffer[..written]);
    }

    public override Snowflake ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        Snowflake.TryParse(reader.GetString(), out var id) ? id : throw new JsonException("Value is not snowflake.");

    public override void WriteAsPropertyName(Utf8JsonWriter writer, Snowflake value, JsonSerializerOptions options) =>
        writer.WritePropertyName(value.ToString());
}
