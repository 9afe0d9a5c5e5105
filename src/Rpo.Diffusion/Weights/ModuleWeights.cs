using System.Text;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Weights;

/// <summary>Strict, by-name loading and saving of a module's state dict from and to safetensors files.</summary>
public static class ModuleWeights
{
    public static void Load(nn.Module module, string file, Func<string, string?>? rename = null) => Load(module, [file], rename);

    /// <summary>
    /// Loads every state_dict() entry from the files (a sharded checkpoint is several). Fails before touching
    /// the module when any key is missing, unexpected, of another shape, or integer where the model is floating
    /// (and vice versa). <paramref name="rename"/> maps a file key to a module key, or to null to drop it.
    /// </summary>
    public static void Load(nn.Module module, IEnumerable<string> files, Func<string, string?>? rename = null)
    {
        var stateDict = module.state_dict();
        var opened = files.Select(SafeTensorsFile.Open).ToList();
        try
        {
            var sources = new Dictionary<string, (SafeTensorsFile File, string Name)>(StringComparer.Ordinal);
            var unexpected = new List<string>();
            var problems = new List<string>();
            foreach (var file in opened)
                foreach (var (name, info) in file.Tensors)
                {
                    string? key = rename is null ? name : rename(name);
                    if (key is null) continue;
                    if (!stateDict.TryGetValue(key, out var target)) { unexpected.Add(name); continue; }
                    if (!sources.TryAdd(key, (file, name))) { problems.Add($"'{key}' is stored twice"); continue; }
                    if (!target.shape.SequenceEqual(info.Shape))
                        problems.Add($"'{key}': file {SafeTensorsFile.FormatShape(info.Shape)}, model {SafeTensorsFile.FormatShape(target.shape)}");
                    else if (SafeTensorDtypes.IsFloating(info.ScalarType) != SafeTensorDtypes.IsFloating(target.dtype))
                        problems.Add($"'{key}': file {info.Dtype}, model {target.dtype}");
                }
            var missing = stateDict.Keys.Where(k => !sources.ContainsKey(k)).ToList();
            if (missing.Count + unexpected.Count + problems.Count > 0)
                throw new WeightLoadException(Describe(module, opened, missing, unexpected, problems));

            using var _ = no_grad();
            foreach (var (key, (file, name)) in sources)
                file.ReadInto(name, stateDict[key]);
        }
        finally
        {
            foreach (var f in opened) f.Dispose();
        }
    }

    /// <summary>
    /// Saves the state dict with the hub's <c>format: pt</c> metadata, floating tensors in <paramref name="floatDtype"/>
    /// (e.g. fp16 checkpoints) or as they are in the module.
    /// </summary>
    public static void Save(nn.Module module, string file, IReadOnlyDictionary<string, string>? metadata = null, ScalarType? floatDtype = null)
    {
        var meta = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>()) { ["format"] = "pt" };
        SafeTensorsWriter.Write(file, module.state_dict(), meta, floatDtype);
    }

    static string Describe(nn.Module module, List<SafeTensorsFile> files, List<string> missing, List<string> unexpected, List<string> problems)
    {
        var text = new StringBuilder($"Weights in {string.Join(", ", files.Select(f => f.Path))} do not fit {module.GetType().Name}:");
        Append(text, "missing from the file", missing);
        Append(text, "unexpected in the file", unexpected);
        Append(text, "mismatched", problems);
        return text.ToString();
    }

    static void Append(StringBuilder text, string what, List<string> keys)
    {
        if (keys.Count == 0) return;
        const int shown = 25;
        text.Append($"\n  {keys.Count} {what}: ").Append(string.Join(", ", keys.Order(StringComparer.Ordinal).Take(shown)));
        if (keys.Count > shown) text.Append($", … ({keys.Count - shown} more)");
    }
}
