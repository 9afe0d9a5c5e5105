using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rpo.Pipeline.Runs;

/// <summary>
/// The JSON settings of everything the pipeline writes (messages, rpo.json, latest.json): camelCase, enums as
/// kebab-case strings, and strict reading — a missing required field or a null where none is allowed is an error
/// naming the field, not a default.
/// </summary>
public static class RunJson
{
    public static JsonSerializerOptions Options { get; } = Create(indented: false);

    /// <summary>The same, indented: for files people read (rpo.json, latest.json).</summary>
    public static JsonSerializerOptions Indented { get; } = Create(indented: true);

    private static JsonSerializerOptions Create(bool indented)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = indented,
            RespectNullableAnnotations = true,
            RespectRequiredConstructorParameters = true,
            AllowOutOfOrderMetadataProperties = true,
            NumberHandling = JsonNumberHandling.Strict,
            DefaultIgnoreCondition = JsonIgnoreCondition.Never,
        };
        options.Converters.Add(new JsonStringEnumConverter(JsonNamingPolicy.KebabCaseLower, allowIntegerValues: false));
        options.MakeReadOnly(populateMissingResolver: true);
        return options;
    }
}
