using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Together.Server.Features.Permissions;

/// <summary>
/// Permission bit fields travel as decimal strings (they exceed JavaScript's 53-bit integers);
/// numbers are accepted on input, as Discord does.
/// </summary>
public sealed class PermissionsJsonConverter : JsonConverter<Permissions>
{
    public override Permissions Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Number && reader.TryGetUInt64(out var number))
            return (Permissions)number;
        if (reader.TokenType == JsonTokenType.String
            && ulong.TryParse(reader.GetString(), NumberStyles.None, CultureInfo.InvariantCulture, out var parsed))
            return (Permissions)parsed;
        throw new JsonException("The JSON value could not be converted to a permission bit field.");
    }

    public override void Write(Utf8JsonWriter writer, Permissions value, JsonSerializerOptions options) =>
        writer.WriteStringValue(((ulong)value).ToString(CultureInfo.InvariantCulture));
}
