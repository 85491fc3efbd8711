using System.Text.Json;
using System.Text.Json.Serialization;

namespace Together.Server.Infrastructure;

/// <summary>
/// A PATCH field: absent (leave alone), or present with a value that may be null (clear it).
/// Discord's PATCH routes depend on that difference, e.g. <c>"parent_id": null</c> takes a channel
/// out of its category while leaving <c>parent_id</c> out keeps it there.
/// </summary>
[JsonConverter(typeof(OptionalJsonConverterFactory))]
public readonly struct Optional<T>
{
    private readonly T _value;

    public Optional(T value)
    {
        _value = value;
        HasValue = true;
    }

    public bool HasValue { get; }

    public T Value => HasValue ? _value : throw new InvalidOperationException("Optional has no value.");

    public T GetValueOrDefault(T fallback) => HasValue ? _value : fallback;

    public static implicit operator Optional<T>(T value) => new(value);

    public Optional<T> ToOptional() => this;
}

public sealed class OptionalJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(Optional<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(typeToConvert);
        return (JsonConverter)Activator.CreateInstance(typeof(OptionalConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;
    }

    private sealed class OptionalConverter<T> : JsonConverter<Optional<T>>
    {
        // Called for explicit nulls too, so "field": null arrives as a present null.
        public override bool HandleNull => true;

        public override Optional<T> Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            try
            {
                return new(JsonSerializer.Deserialize<T>(ref reader, options)!);
            }
            catch (JsonException)
            {
                // The nested call reports its own root as the path; a fresh exception lets the
                // outer serializer name the field (e.g. "$.permissions") for the 50035 error.
                throw new JsonException($"The JSON value could not be converted to {typeof(T).Name}.");
            }
        }

        public override void Write(Utf8JsonWriter writer, Optional<T> value, JsonSerializerOptions options)
        {
            if (value.HasValue)
                JsonSerializer.Serialize(writer, value.Value, options);
            else
                writer.WriteNullValue();
        }
    }
}
