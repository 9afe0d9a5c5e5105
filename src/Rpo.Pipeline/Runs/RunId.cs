using System.Diagnostics.CodeAnalysis;
using System.Security.Cryptography;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using System.Text.RegularExpressions;

namespace Rpo.Pipeline.Runs;

/// <summary>One input file of a run: its name in the upload and the SHA-256 of its bytes.</summary>
public sealed partial record RunInput
{
    public RunInput(string name, string sha256)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        ArgumentNullException.ThrowIfNull(sha256);
        if (!Sha256Hex().IsMatch(sha256))
        {
            throw new ArgumentException($"SHA-256 of '{name}' must be 64 hex digits, got '{sha256}'.", nameof(sha256));
        }

        Name = name;
        Sha256 = sha256.ToLowerInvariant();
    }

    public string Name { get; }

    public string Sha256 { get; }

    public static RunInput FromBytes(string name, ReadOnlySpan<byte> content) => new(name, Convert.ToHexStringLower(SHA256.HashData(content)));

    public static async Task<RunInput> FromStreamAsync(string name, Stream content, CancellationToken cancellationToken = default) =>
        new(name, Convert.ToHexStringLower(await SHA256.HashDataAsync(content, cancellationToken).ConfigureAwait(false)));

    [GeneratedRegex("^[0-9a-fA-F]{64}$")]
    private static partial Regex Sha256Hex();
}

/// <summary>
/// The id of a run: "{subjectId}-{16 hex}", the hex being the start of a SHA-256 over the subject id, the inputs
/// (sorted by name, each with the hash of its bytes) and the options in canonical JSON. The same upload gives the same
/// id on any machine, so a second upload of identical files starts no second run; any changed byte, added or renamed
/// file or changed option gives a new id. Inputs are every file the run reads: the images and, when present,
/// subject.json (its class noun changes what is trained).
/// </summary>
[JsonConverter(typeof(RunIdJsonConverter))]
public sealed partial record RunId
{
    /// <summary>Version of the hashed document; bump it when its shape changes.</summary>
    private const int Scheme = 1;
    private const int HashHexDigits = 16;

    private RunId(string subjectId, string hash)
    {
        SubjectId = subjectId;
        Hash = hash;
    }

    public string SubjectId { get; }

    /// <summary>The 16 hex digits.</summary>
    public string Hash { get; }

    public string Value => $"{SubjectId}-{Hash}";

    public static RunId For(string subjectId, IEnumerable<RunInput> inputs, RunOptions options)
    {
        SubjectIds.Validate(subjectId, nameof(subjectId));
        ArgumentNullException.ThrowIfNull(inputs);
        ArgumentNullException.ThrowIfNull(options);
        var sorted = inputs.OrderBy(i => i.Name, StringComparer.Ordinal).ToList();
        var duplicate = sorted.Zip(sorted.Skip(1)).FirstOrDefault(p => p.First.Name == p.Second.Name);
        if (duplicate.First is not null)
        {
            throw new ArgumentException($"Input '{duplicate.First.Name}' is listed twice.", nameof(inputs));
        }

        var document = new JsonObject
        {
            ["scheme"] = Scheme,
            ["subjectId"] = subjectId,
            ["inputs"] = new JsonArray(sorted.Select(i => (JsonNode)new JsonObject { ["name"] = i.Name, ["sha256"] = i.Sha256 }).ToArray()),
            ["options"] = JsonSerializer.SerializeToNode(options, RunJson.Options),
        };
        var digest = SHA256.HashData(CanonicalJson.Serialize(document));
        return new RunId(subjectId, Convert.ToHexStringLower(digest)[..HashHexDigits]);
    }

    public static RunId Parse(string value)
    {
        ArgumentNullException.ThrowIfNull(value);
        return TryParse(value, out var id, out var problem) ? id : throw new FormatException(problem);
    }

    /// <summary>The run id in <paramref name="value"/>, or a message saying what a run id looks like.</summary>
    public static bool TryParse(string? value, [NotNullWhen(true)] out RunId? id, [NotNullWhen(false)] out string? problem)
    {
        var match = RunIdPattern().Match(value ?? string.Empty);
        if (!match.Success || SubjectIds.Problem(match.Groups[1].Value) is not null)
        {
            (id, problem) = (null, $"'{value}' is not a run id (\"<subjectId>-<{HashHexDigits} lowercase hex digits>\").");
            return false;
        }

        (id, problem) = (new RunId(match.Groups[1].Value, match.Groups[2].Value), null);
        return true;
    }

    public override string ToString() => Value;

    [GeneratedRegex("^(.+)-([0-9a-f]{16})$")]
    private static partial Regex RunIdPattern();
}

internal sealed class RunIdJsonConverter : JsonConverter<RunId>
{
    public override RunId Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"expected a run id string, found {reader.TokenType}.");
        }

        try
        {
            return RunId.Parse(reader.GetString()!);
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, RunId value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.Value);
    }
}
