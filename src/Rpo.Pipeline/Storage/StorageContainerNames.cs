using System.Text.RegularExpressions;

namespace Rpo.Pipeline.Storage;

/// <summary>The container of each area in a storage account (the layout's names by default).</summary>
public sealed partial record StorageContainerNames
{
    public StorageContainerNames(string subjects, string work, string models)
    {
        Subjects = Validate(subjects, nameof(subjects));
        Work = Validate(work, nameof(work));
        Models = Validate(models, nameof(models));
        if (new HashSet<string>(StringComparer.Ordinal) { Subjects, Work, Models }.Count != 3)
        {
            throw new ArgumentException($"The three areas need three different containers, got '{Subjects}', '{Work}', '{Models}'.");
        }
    }

    public static StorageContainerNames Default { get; } = new("subjects", "work", "models");

    public string Subjects { get; }

    public string Work { get; }

    public string Models { get; }

    /// <summary>"{prefix}-subjects" and so on: several independent stores in one account (tests, staging).</summary>
    public static StorageContainerNames WithPrefix(string prefix) =>
        new($"{prefix}-{StorageArea.Subjects.ToName()}", $"{prefix}-{StorageArea.Work.ToName()}", $"{prefix}-{StorageArea.Models.ToName()}");

    public string For(StorageArea area) => area switch
    {
        StorageArea.Subjects => Subjects,
        StorageArea.Work => Work,
        StorageArea.Models => Models,
        _ => throw new ArgumentOutOfRangeException(nameof(area), area, "Unknown storage area."),
    };

    private static string Validate(string name, string paramName)
    {
        ArgumentNullException.ThrowIfNull(name, paramName);
        return ContainerName().IsMatch(name) && !name.Contains("--", StringComparison.Ordinal)
            ? name
            : throw new ArgumentException($"'{name}' is not a valid container name (3-63 lowercase letters, digits and single hyphens, starting and ending with a letter or digit).", paramName);
    }

    [GeneratedRegex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$")]
    private static partial Regex ContainerName();
}
