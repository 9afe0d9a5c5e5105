using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rpo.Training.Preferences;

/// <summary>The audit record of step 3: how the labels were drawn and every pair's rewards, probability and label.</summary>
public sealed record PreferenceRecord(
    double Lambda,
    long Seed,
    bool ReferenceCompatibleTextPrompts,
    IReadOnlyList<PreferencePair> Pairs)
{
    static readonly JsonSerializerOptions Json = new()
    {
        WriteIndented = true,
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    public int LabelsPreferringReference => Pairs.Count(p => p.Label == 1);

    public void Save(string path)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, JsonSerializer.Serialize(this, Json));
    }

    public static PreferenceRecord Load(string path) =>
        JsonSerializer.Deserialize<PreferenceRecord>(File.ReadAllText(path), Json)
        ?? throw new InvalidDataException($"{path}: empty preference record.");
}
