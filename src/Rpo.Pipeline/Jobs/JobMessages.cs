using System.Text.Json;
using System.Text.RegularExpressions;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Jobs;

/// <summary>
/// The JSON bodies of job and result messages (camelCase, System.Text.Json), read strictly: anything missing,
/// null where not allowed, of the wrong type or inconsistent is a <see cref="JobParseException"/> naming the field.
/// Unknown fields are ignored, so a newer sender may add optional ones.
/// </summary>
public static partial class JobMessages
{
    public const string KindProperty = "kind";

    public static BinaryData Serialize(Job job)
    {
        ArgumentNullException.ThrowIfNull(job);
        return BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(job, RunJson.Options));
    }

    public static BinaryData Serialize(JobResult result)
    {
        ArgumentNullException.ThrowIfNull(result);
        return BinaryData.FromBytes(JsonSerializer.SerializeToUtf8Bytes(result, RunJson.Options));
    }

    public static Job ParseJob(BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        using var document = ParseDocument(body);
        var root = document.RootElement;
        if (!root.TryGetProperty(KindProperty, out var kindElement))
        {
            throw new JobParseException(KindProperty, $"missing; expected one of {KindList()}");
        }

        if (kindElement.ValueKind != JsonValueKind.String || !JobKinds.TryParse(kindElement.GetString(), out var kind))
        {
            throw new JobParseException(KindProperty, $"'{kindElement}' is not a job kind; expected one of {KindList()}");
        }

        var type = kind switch
        {
            JobKind.Train => typeof(TrainJob),
            JobKind.ScoreCheckpoint => typeof(ScoreCheckpointJob),
            JobKind.Generate => typeof(GenerateJob),
            _ => throw new JobParseException(KindProperty, $"'{kind}' has no message type"),
        };
        var job = (Job)Deserialize(body, type);
        var problems = job.Check();
        return problems.Count == 0 ? job : throw new JobParseException(problems[0].Field, problems[0].Problem);
    }

    public static JobResult ParseResult(BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ParseDocument(body).Dispose();
        var result = (JobResult)Deserialize(body, typeof(JobResult));
        var problems = result.Check();
        return problems.Count == 0 ? result : throw new JobParseException(problems[0].Field, problems[0].Problem);
    }

    /// <summary>Reads any message record by the same strict rules (a JSON object; errors name the field).</summary>
    internal static T Deserialize<T>(BinaryData body)
    {
        ArgumentNullException.ThrowIfNull(body);
        ParseDocument(body).Dispose();
        return (T)Deserialize(body, typeof(T));
    }

    private static JsonDocument ParseDocument(BinaryData body)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.ToMemory());
        }
        catch (JsonException e)
        {
            throw new JobParseException("$", $"not valid JSON ({e.Message})", e);
        }

        if (document.RootElement.ValueKind != JsonValueKind.Object)
        {
            var found = document.RootElement.ValueKind;
            document.Dispose();
            throw new JobParseException("$", $"expected a JSON object, found {found}");
        }

        return document;
    }

    private static object Deserialize(BinaryData body, Type type)
    {
        try
        {
            return JsonSerializer.Deserialize(body.ToMemory().Span, type, RunJson.Options)
                ?? throw new JobParseException("$", "is null");
        }
        catch (JsonException e)
        {
            throw new JobParseException(FieldOf(e), ReasonOf(e), e);
        }
        catch (ArgumentException e)
        {
            // A record's constructor refused a value STJ could read (e.g. a SHA that is not hex); STJ gives no path then.
            throw new JobParseException("$", e.Message, e);
        }
    }

    /// <summary>
    /// The field an error is about, from the exception's JSON path ("$.negatives[2].images[0]" -> "negatives[2].images[0]").
    /// A missing property is reported at its parent object, with the name only in the message, so that is appended.
    /// </summary>
    private static string FieldOf(JsonException e)
    {
        var path = e.Path ?? "$";
        var missing = MissingProperty().Match(e.Message);
        if (missing.Success)
        {
            path = path + "." + missing.Groups[1].Value;
        }

        return path == "$" ? path : path.StartsWith("$.", StringComparison.Ordinal) ? path[2..] : path.TrimStart('$');
    }

    private static string ReasonOf(JsonException e)
    {
        if (MissingProperty().IsMatch(e.Message))
        {
            return "missing (required)";
        }

        // STJ appends " Path: $.x | LineNumber: 0 | BytePositionInLine: 12." to its own messages; the field says that.
        var message = e.Message;
        var cut = message.IndexOf(" Path: ", StringComparison.Ordinal);
        return (cut < 0 ? message : message[..cut]).Trim();
    }

    private static string KindList() => string.Join(", ", JobKinds.All.Select(k => k.ToName()));

    [GeneratedRegex("missing required properties including: '([^']+)'")]
    private static partial Regex MissingProperty();
}
