using System.Text.Json;
using Rpo.Diffusion.Weights;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Parity;

/// <summary>
/// A reference case folder (see ../shared/fixtures/README.md): <c>case.json</c> describing the call and its
/// tolerances, and <c>expected.safetensors</c> holding <c>input.*</c> and <c>output.*</c> tensors.
/// </summary>
public sealed class FixtureCase : IDisposable
{
    /// <summary>The README's floor when a case lists no tolerance for an output.</summary>
    public const double DefaultAtol = 1e-5;
    public const double DefaultRtol = 1e-4;

    FixtureCase(string folder, JsonDocument json, Dictionary<string, Tensor> inputs, Dictionary<string, Tensor> outputs)
    {
        Folder = folder;
        Document = json;
        Inputs = inputs;
        Outputs = outputs;
    }

    JsonDocument Document { get; }
    public string Folder { get; }
    public JsonElement Json => Document.RootElement;
    public string Name => Json.TryGetProperty("name", out var n) ? n.GetString()! : Path.GetFileName(Folder);
    public string ModelClass => Json.TryGetProperty("model_class", out var m) ? m.GetString()! : "";
    public IReadOnlyDictionary<string, Tensor> Inputs { get; }
    public IReadOnlyDictionary<string, Tensor> Outputs { get; }

    /// <summary>A file named in case.json's "files" (e.g. "config", "weights"), resolved in the case folder.</summary>
    public string? FilePath(string role) =>
        Json.TryGetProperty("files", out var files) && files.TryGetProperty(role, out var f) && f.ValueKind == JsonValueKind.String
            ? Path.Combine(Folder, f.GetString()!)
            : null;

    public static FixtureCase Load(string folder)
    {
        string casePath = Path.Combine(folder, "case.json");
        if (!File.Exists(casePath)) throw new FileNotFoundException($"{folder} is not a fixture case: it has no case.json.", casePath);
        var json = JsonDocument.Parse(File.ReadAllText(casePath));
        string expectedPath = Path.Combine(folder, "expected.safetensors");
        if (json.RootElement.TryGetProperty("files", out var files) && files.TryGetProperty("expected", out var e) && e.ValueKind == JsonValueKind.String)
            expectedPath = Path.Combine(folder, e.GetString()!);
        var inputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        using (var file = SafeTensorsFile.Open(expectedPath))
        {
            foreach (var name in file.Tensors.Keys)
            {
                if (name.StartsWith("input.", StringComparison.Ordinal)) inputs[name["input.".Length..]] = file.Read(name);
                else if (name.StartsWith("output.", StringComparison.Ordinal)) outputs[name["output.".Length..]] = file.Read(name);
            }
        }
        return new FixtureCase(folder, json, inputs, outputs);
    }

    public double AtolFor(string output) => ToleranceValue(output, "suggested_atol", DefaultAtol);

    public double RtolFor(string output) => ToleranceValue(output, "suggested_rtol", DefaultRtol);

    /// <summary>
    /// The per-output entry of "tolerance" when there is one ("exact" means 0); else "all_float_outputs"; else
    /// the largest value the case lists (outputs a case leaves unlisted are intermediates of listed ones).
    /// </summary>
    double ToleranceValue(string output, string field, double fallback)
    {
        if (!Json.TryGetProperty("tolerance", out var tolerance) || tolerance.ValueKind != JsonValueKind.Object) return fallback;
        if (tolerance.TryGetProperty(output, out var own))
        {
            if (own.ValueKind == JsonValueKind.String && own.GetString() == "exact") return 0;
            if (own.ValueKind == JsonValueKind.Object && own.TryGetProperty(field, out var v)) return v.GetDouble();
        }
        if (tolerance.TryGetProperty("all_float_outputs", out var all) && all.ValueKind == JsonValueKind.Object && all.TryGetProperty(field, out var a))
            return a.GetDouble();
        var listed = tolerance.EnumerateObject()
            .Where(p => p.Value.ValueKind == JsonValueKind.Object && p.Value.TryGetProperty(field, out var x) && x.ValueKind == JsonValueKind.Number)
            .Select(p => p.Value.GetProperty(field).GetDouble()).ToList();
        return listed.Count > 0 ? listed.Max() : fallback;
    }

    public TensorComparison Compare(string output, Tensor got) =>
        TensorComparison.Compare(output, got, Outputs.TryGetValue(output, out var expected)
            ? expected
            : throw new KeyNotFoundException($"{Name} has no output '{output}'."), AtolFor(output), RtolFor(output));

    public void Dispose()
    {
        foreach (var t in Inputs.Values.Concat(Outputs.Values)) t.Dispose();
        Document.Dispose();
    }
}
