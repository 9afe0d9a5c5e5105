namespace Rpo.Pipeline.Jobs;

/// <summary>What a GPU worker is asked to do. In messages: "train", "score-checkpoint", "generate".</summary>
public enum JobKind
{
    Train,
    ScoreCheckpoint,
    Generate,
}

public static class JobKinds
{
    public static IReadOnlyList<JobKind> All { get; } = [JobKind.Train, JobKind.ScoreCheckpoint, JobKind.Generate];

    public static string ToName(this JobKind kind) => kind switch
    {
        JobKind.Train => "train",
        JobKind.ScoreCheckpoint => "score-checkpoint",
        JobKind.Generate => "generate",
        _ => throw new ArgumentOutOfRangeException(nameof(kind), kind, "Unknown job kind."),
    };

    public static bool TryParse(string? name, out JobKind kind)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.Ordinal))
            {
                kind = candidate;
                return true;
            }
        }

        kind = default;
        return false;
    }

    /// <summary>"runId:kind:index", the message id Service Bus deduplicates on.</summary>
    public static string JobId(string runId, JobKind kind, int index) => $"{runId}:{kind.ToName()}:{index}";
}
