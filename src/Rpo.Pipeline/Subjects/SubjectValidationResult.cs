using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Subjects;

/// <summary>One thing wrong with an upload: the file (relative to the subject folder; "(subject)" for the set as a whole) and why.</summary>
public sealed record SubjectProblem(string File, string Reason)
{
    /// <summary>The file name used for problems of the whole upload (too few images, no class noun).</summary>
    public const string WholeSubject = "(subject)";

    public override string ToString() => $"{File}: {Reason}";
}

/// <summary>
/// What <see cref="SubjectValidator"/> found: every problem (never only the first), and for a valid subject what the
/// run needs — the images as blob references, the class noun and the options.
/// </summary>
/// <param name="Images">The images that will train, by name; also listed when there are problems.</param>
/// <param name="Ignored">Files skipped on purpose (.DS_Store, Thumbs.db, desktop.ini, hidden files).</param>
public sealed record SubjectValidationResult(
    string SubjectId,
    string? ClassNoun,
    bool IsLive,
    RunOptions Options,
    IReadOnlyList<BlobRef> Images,
    IReadOnlyList<string> Ignored,
    IReadOnlyList<SubjectProblem> Problems)
{
    public bool IsValid => Problems.Count == 0;

    /// <summary>One message naming each file and its reason, for the failed run's output.</summary>
    public string Describe() => IsValid
        ? $"Subject '{SubjectId}': {Images.Count} images, class '{ClassNoun}'."
        : $"Subject '{SubjectId}' cannot be trained ({Problems.Count} problem{(Problems.Count == 1 ? "" : "s")}):"
          + string.Concat(Problems.Select(p => $"\n  - {p}"));
}
