using System.Text.RegularExpressions;

namespace Rpo.Pipeline.Runs;

/// <summary>
/// A subject id is a folder name under subjects/, and becomes part of run ids, blob paths, orchestration instance ids
/// and message ids; so it is kept to a short, portable alphabet.
/// </summary>
public static partial class SubjectIds
{
    public const int MaxLength = 64;

    public static string? Problem(string? subjectId) =>
        subjectId is null ? "is null"
        : SubjectIdPattern().IsMatch(subjectId) ? null
        : $"must be 1-{MaxLength} letters, digits, '-' or '_', starting with a letter or digit";

    public static string Validate(string? subjectId, string paramName = "subjectId")
    {
        var problem = Problem(subjectId);
        return problem is null ? subjectId! : throw new ArgumentException($"Subject id '{subjectId}' {problem}.", paramName);
    }

    [GeneratedRegex("^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")]
    private static partial Regex SubjectIdPattern();
}
