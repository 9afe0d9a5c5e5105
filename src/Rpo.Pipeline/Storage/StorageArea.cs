namespace Rpo.Pipeline.Storage;

/// <summary>The three areas of the storage layout: one container each in Azure, one folder each locally.</summary>
public enum StorageArea
{
    /// <summary>Uploads: <c>subjects/{subjectId}/</c>.</summary>
    Subjects,

    /// <summary>Transient run data: <c>work/{runId}/</c>.</summary>
    Work,

    /// <summary>Published models and their pointers: <c>models/{subjectId}/</c>.</summary>
    Models,
}

public static class StorageAreas
{
    public static IReadOnlyList<StorageArea> All { get; } = [StorageArea.Subjects, StorageArea.Work, StorageArea.Models];

    /// <summary>The area's name in the layout (and its default container / folder name).</summary>
    public static string ToName(this StorageArea area) => area switch
    {
        StorageArea.Subjects => "subjects",
        StorageArea.Work => "work",
        StorageArea.Models => "models",
        _ => throw new ArgumentOutOfRangeException(nameof(area), area, "Unknown storage area."),
    };

    public static bool TryParse(string name, out StorageArea area)
    {
        foreach (var candidate in All)
        {
            if (string.Equals(candidate.ToName(), name, StringComparison.Ordinal))
            {
                area = candidate;
                return true;
            }
        }

        area = default;
        return false;
    }
}
