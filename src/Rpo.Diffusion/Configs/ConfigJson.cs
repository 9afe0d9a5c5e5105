using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rpo.Diffusion.Configs;

/// <summary>
/// Reads Hugging Face <c>config.json</c> / <c>scheduler_config.json</c> files into records with PascalCase
/// properties (the snake_case_lower policy maps them to the file's keys); keys a record does not name are ignored.
/// </summary>
public static class ConfigJson
{
    public static JsonSerializerOptions Options { get; } = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        ReadCommentHandling = JsonCommentHandling.Skip,
        AllowTrailingCommas = true,
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.Never,
    };

    public static T Load<T>(string path)
    {
        try
        {
            return Parse<T>(File.ReadAllText(path));
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }

    public static T Parse<T>(string json) =>
        JsonSerializer.Deserialize<T>(QuoteBareFloatLiterals(json), Options)
        ?? throw new JsonException($"the JSON is null, not a {typeof(T).Name}");

    /// <summary>Python's json writes NaN, Infinity and -Infinity bare; System.Text.Json accepts them only quoted.</summary>
    public static string QuoteBareFloatLiterals(string json)
    {
        var result = new StringBuilder(json.Length + 16);
        bool inString = false;
        for (int i = 0; i < json.Length; i++)
        {
            char c = json[i];
            if (inString)
            {
                result.Append(c);
                if (c == '\\' && i + 1 < json.Length) result.Append(json[++i]);
                else if (c == '"') inString = false;
                continue;
            }
            if (c == '"') { inString = true; result.Append(c); continue; }
            string? literal = null;
            foreach (var candidate in (ReadOnlySpan<string>)["-Infinity", "Infinity", "NaN"])
                if (string.CompareOrdinal(json, i, candidate, 0, candidate.Length) == 0) { literal = candidate; break; }
            if (literal is null) { result.Append(c); continue; }
            result.Append('"').Append(literal).Append('"');
            i += literal.Length - 1;
        }
        return result.ToString();
    }
}
