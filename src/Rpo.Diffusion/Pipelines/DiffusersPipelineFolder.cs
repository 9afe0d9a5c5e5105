using System.Text.Json;

namespace Rpo.Diffusion.Pipelines;

/// <summary>
/// A diffusers pipeline folder: <c>model_index.json</c> naming one (library, class) per component, and one
/// sub-folder per component. Checked up front so a bad folder fails with every problem named.
/// </summary>
public sealed class DiffusersPipelineFolder
{
    static readonly (string Component, string Class)[] Required =
    [
        ("unet", "UNet2DConditionModel"), ("vae", "AutoencoderKL"), ("text_encoder", "CLIPTextModel"),
        ("tokenizer", "CLIPTokenizer"), ("scheduler", ""),
    ];

    DiffusersPipelineFolder(string root, string pipelineClass, IReadOnlyDictionary<string, string> classes)
    {
        Root = root;
        PipelineClass = pipelineClass;
        ComponentClasses = classes;
    }

    public string Root { get; }
    public string PipelineClass { get; }
    public IReadOnlyDictionary<string, string> ComponentClasses { get; }

    public string Component(string name) => Path.Combine(Root, name);

    public static DiffusersPipelineFolder Open(string root)
    {
        string index = Path.Combine(root, "model_index.json");
        if (!File.Exists(index))
            throw new FileNotFoundException($"{root} is not a diffusers pipeline folder: model_index.json is missing.", index);
        using var doc = JsonDocument.Parse(File.ReadAllText(index));
        var classes = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var p in doc.RootElement.EnumerateObject())
            if (p.Value.ValueKind == JsonValueKind.Array && p.Value.GetArrayLength() == 2 && p.Value[1].ValueKind == JsonValueKind.String)
                classes[p.Name] = p.Value[1].GetString()!;
        string pipelineClass = doc.RootElement.TryGetProperty("_class_name", out var c) ? c.GetString() ?? "" : "";

        var problems = new List<string>();
        foreach (var (component, expected) in Required)
        {
            if (!classes.TryGetValue(component, out var actual)) problems.Add($"model_index.json names no '{component}'");
            else if (expected.Length > 0 && actual != expected && !(component == "tokenizer" && actual == "CLIPTokenizerFast"))
                problems.Add($"'{component}' is {actual}; only {expected} is supported");
            if (!Directory.Exists(Path.Combine(root, component))) problems.Add($"folder '{component}/' is missing");
        }
        if (problems.Count > 0)
            throw new InvalidDataException($"{root}: {string.Join("; ", problems)}.");
        return new DiffusersPipelineFolder(root, pipelineClass, classes);
    }
}
