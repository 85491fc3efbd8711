using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;

namespace Together.Server.Infrastructure;

public static class Json
{
    /// <summary>Discord's wire conventions: snake_case names, nulls written, numbers strict.</summary>
    public static void Configure(JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower;
        options.DictionaryKeyPolicy = null;
        options.NumberHandling = JsonNumberHandling.Strict;
        options.UnmappedMemberHandling = JsonUnmappedMemberHandling.Skip;
        options.AllowTrailingCommas = false;
        options.ReadCommentHandling = JsonCommentHandling.Disallow;
        options.MaxDepth = 32;
        options.Converters.Add(WireStringConverter.Instance);
        options.Converters.Add(WireElementConverter.Instance);
        options.TypeInfoResolver = (options.TypeInfoResolver ?? new DefaultJsonTypeInfoResolver()).WithAddedModifier(RefuseNullElements);
    }

    public static IServiceCollection AddJson(this IServiceCollection services) =>
        services.ConfigureHttpJsonOptions(o => Configure(o.SerializerOptions));

    /// <summary>
    /// <c>[null]</c> where a list of objects or strings is expected is refused as a bad value of
    /// the list's field: the element types are non-nullable, and every handler would otherwise
    /// meet a null it was promised it would not.
    /// </summary>
    private static void RefuseNullElements(JsonTypeInfo info)
    {
        if (info.Kind != JsonTypeInfoKind.Enumerable || info.ElementType is not { } element || element.IsValueType
            || element == typeof(object) || typeof(JsonNode).IsAssignableFrom(element))
            return;
        info.OnDeserialized = list =>
        {
            foreach (var item in (IEnumerable)list)
            {
                if (item is null)
                    throw new JsonException("The list holds a null.");
            }
        };
    }
}

/// <summary>
/// Strings as every client sends them, checked on the way in: text with a NUL or with half a
/// UTF-16 surrogate pair is a bad value of its field (400), not something PostgreSQL refuses
/// deep in a save (it cannot store U+0000 in text) or the reader throws outside its own errors.
/// </summary>
public sealed class WireStringConverter : JsonConverter<string>
{
    public static WireStringConverter Instance { get; } = new();

    public override string? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) => ReadChecked(ref reader);

    public override void Write(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        writer.WriteStringValue(value);
    }

    public override string ReadAsPropertyName(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        ReadChecked(ref reader) ?? throw new JsonException("A property name cannot be null.");

    public override void WriteAsPropertyName(Utf8JsonWriter writer, string value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        ArgumentNullException.ThrowIfNull(options);
        writer.WritePropertyName(options.DictionaryKeyPolicy?.ConvertName(value) ?? value);
    }

    /// <summary>Throws <see cref="JsonException"/> unless <paramref name="value"/> is text PostgreSQL can store.</summary>
    internal static string? Checked(string? value) => value is not null && value.Contains('\0', StringComparison.Ordinal)
        ? throw new JsonException("The string contains U+0000.")
        : value;

    private static string? ReadChecked(ref Utf8JsonReader reader)
    {
        if (reader.TokenType is not (JsonTokenType.String or JsonTokenType.PropertyName or JsonTokenType.Null))
            throw new JsonException($"Expected a string, found {reader.TokenType}.");
        string? value;
        try
        {
            value = reader.GetString();
        }
        catch (InvalidOperationException ex)
        {
            // An escaped lone surrogate ("\ud800"): valid JSON syntax, not valid text.
            throw new JsonException("The string is not valid UTF-16.", ex);
        }
        return Checked(value);
    }
}

/// <summary>
/// The same check for fields kept as raw JSON (a nonce that may be a string or a number, ids a
/// handler parses itself): every string in them, names included, is valid text without NUL.
/// </summary>
public sealed class WireElementConverter : JsonConverter<JsonElement>
{
    public static WireElementConverter Instance { get; } = new();

    public override JsonElement Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        var element = JsonElement.ParseValue(ref reader);
        try
        {
            Check(element);
        }
        catch (InvalidOperationException ex)
        {
            throw new JsonException("A string is not valid UTF-16.", ex);
        }
        return element;
    }

    public override void Write(Utf8JsonWriter writer, JsonElement value, JsonSerializerOptions options) => value.WriteTo(writer);

    private static void Check(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                WireStringConverter.Checked(element.GetString());
                break;
            case JsonValueKind.Array:
                foreach (var item in element.EnumerateArray())
                    Check(item);
                break;
            case JsonValueKind.Object:
                foreach (var property in element.EnumerateObject())
                {
                    WireStringConverter.Checked(property.Name);
                    Check(property.Value);
                }
                break;
        }
    }
}
