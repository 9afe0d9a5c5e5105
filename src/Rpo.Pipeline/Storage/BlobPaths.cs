namespace Rpo.Pipeline.Storage;

/// <summary>
/// The one rule set for blob names, so that a name valid in Azure maps to the same file locally and cannot escape
/// its area folder: '/'-separated segments, none empty, '.' or '..', no backslash or control character, and no
/// segment starting with <see cref="ReservedPrefix"/> (the local store's temporary and lock files).
/// </summary>
public static class BlobPaths
{
    public const string ReservedPrefix = ".rpo-";

    /// <summary>Azure's limit on a blob name.</summary>
    public const int MaxLength = 1024;

    /// <summary>Returns null when <paramref name="path"/> is a valid blob path, else the reason.</summary>
    /// <param name="allowFolder">A trailing '/' marks a folder (a prefix of blobs).</param>
    /// <param name="allowEmpty">The empty path (the whole area) is allowed, for listings.</param>
    public static string? Problem(string? path, bool allowFolder, bool allowEmpty = false)
    {
        if (path is null)
        {
            return "is null";
        }

        if (path.Length == 0)
        {
            return allowEmpty ? null : "is empty";
        }

        if (path.Length > MaxLength)
        {
            return $"is {path.Length} characters long (at most {MaxLength})";
        }

        var segments = path.Split('/');
        for (var i = 0; i < segments.Length; i++)
        {
            var segment = segments[i];
            var last = i == segments.Length - 1;
            if (segment.Length == 0)
            {
                if (last && i > 0)
                {
                    if (!allowFolder)
                    {
                        return "ends with '/' (a folder), where a blob is expected";
                    }

                    continue;
                }

                return i == 0 ? "starts with '/'" : "has an empty segment ('//')";
            }

            if (segment is "." or "..")
            {
                return $"has a '{segment}' segment";
            }

            if (segment.StartsWith(ReservedPrefix, StringComparison.Ordinal))
            {
                return $"has a segment starting with '{ReservedPrefix}' (reserved)";
            }

            foreach (var c in segment)
            {
                if (c == '\\')
                {
                    return "contains a backslash";
                }

                if (char.IsControl(c))
                {
                    return "contains a control character";
                }
            }
        }

        return null;
    }

    public static string Validate(string? path, string paramName, bool allowFolder, bool allowEmpty = false)
    {
        var problem = Problem(path, allowFolder, allowEmpty);
        return problem is null ? path! : throw new ArgumentException($"Blob path '{path}' {problem}.", paramName);
    }

    /// <summary>
    /// A prefix for listings is looser than a path: it may end inside a segment ("checkpoints/step-"), but still may
    /// not climb out of the area.
    /// </summary>
    public static string ValidatePrefix(string? prefix, string paramName)
    {
        ArgumentNullException.ThrowIfNull(prefix, paramName);
        if (prefix.Length == 0)
        {
            return prefix;
        }

        var cut = prefix.LastIndexOf('/');
        var folderPart = cut < 0 ? string.Empty : prefix[..(cut + 1)];
        var tail = cut < 0 ? prefix : prefix[(cut + 1)..];
        var problem = Problem(folderPart, allowFolder: true, allowEmpty: true);
        if (problem is null && tail.Length > 0)
        {
            problem = tail is "." or ".." ? $"has a '{tail}' segment"
                : tail.Contains('\\', StringComparison.Ordinal) ? "contains a backslash"
                : tail.Any(char.IsControl) ? "contains a control character"
                : null;
        }

        return problem is null ? prefix : throw new ArgumentException($"Blob prefix '{prefix}' {problem}.", paramName);
    }
}
