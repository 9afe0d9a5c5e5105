using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rpo.Diffusion.Models;

/// <summary>
/// A diffusers config value that is either one value or a list: per-block settings (<c>attention_head_dim</c>,
/// <c>layers_per_block</c>, <c>cross_attention_dim</c>, <c>only_cross_attention</c>…) give one value for every
/// block or one per block; <c>sample_size</c> gives a square size or [height, width]. Keeps which form the file
/// used, so it is written back the same way.
/// </summary>
[JsonConverter(typeof(OneOrListJsonConverterFactory))]
public sealed record OneOrList<T>(T? Single, IReadOnlyList<T>? List) where T : struct
{
    public static implicit operator OneOrList<T>(T value) => new(value, null);

    public static OneOrList<T> Of(params T[] values) => new(null, values);

    /// <summary>One value per block; a list must have exactly <paramref name="blocks"/> entries.</summary>
    public IReadOnlyList<T> Expand(int blocks, string key)
    {
        if (Single is T one) return Enumerable.Repeat(one, blocks).ToArray();
        if (List is null) throw new InvalidDataException($"{key} has no value.");
        if (List.Count != blocks)
            throw new InvalidDataException($"{key} lists {List.Count} values for {blocks} blocks.");
        return List;
    }

    public override string ToString() => Single is T one ? $"{one}" : $"[{string.Join(", ", List ?? [])}]";
}

sealed class OneOrListJsonConverterFactory : JsonConverterFactory
{
    public override bool CanConvert(Type typeToConvert) =>
        typeToConvert.IsGenericType && typeToConvert.GetGenericTypeDefinition() == typeof(OneOrList<>);

    public override JsonConverter CreateConverter(Type typeToConvert, JsonSerializerOptions options) =>
        (JsonConverter)Activator.CreateInstance(typeof(OneOrListJsonConverter<>).MakeGenericType(typeToConvert.GetGenericArguments()[0]))!;
}

sealed class OneOrListJsonConverter<T> : JsonConverter<OneOrList<T>> where T : struct
{
    public override OneOrList<T>? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType == JsonTokenType.Null) return null;
        if (reader.TokenType == JsonTokenType.StartArray)
        {
            var values = JsonSerializer.Deserialize<T[]>(ref reader, options)
                ?? throw new JsonException("expected a list of values");
            return new OneOrList<T>(null, values);
        }
        return new OneOrList<T>(JsonSerializer.Deserialize<T>(ref reader, options), null);
    }

    public override void Write(Utf8JsonWriter writer, OneOrList<T> value, JsonSerializerOptions options)
    {
        if (value.Single is T one) JsonSerializer.Serialize(writer, one, options);
        else JsonSerializer.Serialize(writer, value.List ?? [], options);
    }
}
