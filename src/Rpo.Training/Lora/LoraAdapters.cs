using Rpo.Diffusion.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training.Lora;

/// <summary>
/// LoRA on the UNet attention projections <c>to_q</c>, <c>to_k</c>, <c>to_v</c>, <c>to_out.0</c> (diffusers' training
/// scripts' peft <c>target_modules</c>). The adapters live outside the UNet and are attached with forward hooks, so the
/// UNet's own state dict (and a full checkpoint of it) stays unchanged. Saved with the key names diffusers'
/// <c>load_lora_weights</c> reads from a peft-trained UNet: <c>unet.{module}.lora_A.weight</c> / <c>lora_B.weight</c>.
/// </summary>
public sealed class LoraAdapters : nn.Module
{
    public const string WeightsName = "pytorch_lora_weights.safetensors";
    static readonly string[] TargetSuffixes = [".to_q", ".to_k", ".to_v", ".to_out.0"];

    readonly ModuleList<LoraLinear> adapters;
    readonly List<Action> hookRemovers = [];

    public LoraAdapters(nn.Module unet, LoraOptions options, long seed) : base(nameof(LoraAdapters))
    {
        Options = options;
        var names = new List<string>();
        var list = new List<LoraLinear>();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, module) in unet.named_modules())
        {
            if (module is not Linear linear || !TargetSuffixes.Any(s => ("." + name).EndsWith(s, StringComparison.Ordinal))) continue;
            var w = linear.weight!;
            var adapter = new LoraLinear(w.shape[1], w.shape[0], options.Rank, options.Scale, generator);
            names.Add(name);
            list.Add(adapter);
            var remover = linear.register_forward_hook((_, input, output) => AddUpdate(adapter, input, output));
            hookRemovers.Add(remover.remove);
        }
        if (list.Count == 0) throw new ArgumentException("the UNet has no to_q/to_k/to_v/to_out.0 Linear layers to adapt.", nameof(unet));
        TargetNames = names;
        adapters = nn.ModuleList(list.ToArray());
        RegisterComponents();
    }

    public LoraOptions Options { get; }
    public IReadOnlyList<string> TargetNames { get; }

    static Tensor AddUpdate(LoraLinear adapter, Tensor input, Tensor output)
    {
        using var scope = NewDisposeScope();
        return (output + adapter.call(input).to_type(output.dtype)).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The diffusers/peft state dict. diffusers builds the adapter with lora_alpha = r unless the file says otherwise,
    /// so the α/r scale is folded into lora_B: B' = (α/r)·B gives the same ΔW = B'A at scale 1.
    /// </summary>
    public Dictionary<string, Tensor> DiffusersStateDict(ScalarType dtype = ScalarType.Float32)
    {
        var result = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        for (int i = 0; i < adapters.Count; i++)
        {
            result[$"unet.{TargetNames[i]}.lora_A.weight"] = adapters[i].A.detach().to_type(dtype);
            result[$"unet.{TargetNames[i]}.lora_B.weight"] = (adapters[i].B.detach() * adapters[i].Scale).to_type(dtype);
        }
        return result;
    }

    public void Save(string path, ScalarType dtype = ScalarType.Float32)
    {
        using var scope = NewDisposeScope();
        var metadata = new Dictionary<string, string>
        {
            ["format"] = "pt",
            ["lora_rank"] = Options.Rank.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["lora_alpha_trained"] = Options.Alpha.ToString("R", System.Globalization.CultureInfo.InvariantCulture),
            ["lora_scale_folded_into_B"] = "true",
        };
        SafeTensorsWriter.Write(path, DiffusersStateDict(dtype), metadata);
    }

    /// <summary>Reads a file written by <see cref="Save"/> back (unfolding the scale), checking every key.</summary>
    public void Load(string path)
    {
        using var file = SafeTensorsFile.Open(path);
        var expected = new HashSet<string>(StringComparer.Ordinal);
        for (int i = 0; i < adapters.Count; i++)
        {
            expected.Add($"unet.{TargetNames[i]}.lora_A.weight");
            expected.Add($"unet.{TargetNames[i]}.lora_B.weight");
        }
        var missing = expected.Where(k => !file.Tensors.ContainsKey(k)).ToList();
        var unexpected = file.Tensors.Keys.Where(k => !expected.Contains(k)).ToList();
        if (missing.Count + unexpected.Count > 0)
            throw new WeightLoadException($"{path}: LoRA keys do not fit: missing [{string.Join(", ", missing.Take(10))}], unexpected [{string.Join(", ", unexpected.Take(10))}].");
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        for (int i = 0; i < adapters.Count; i++)
        {
            adapters[i].A.copy_(file.Read($"unet.{TargetNames[i]}.lora_A.weight", adapters[i].A.dtype));
            adapters[i].B.copy_(file.Read($"unet.{TargetNames[i]}.lora_B.weight", adapters[i].B.dtype) / adapters[i].Scale);
        }
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            foreach (var remove in hookRemovers) remove();
            hookRemovers.Clear();
        }
        base.Dispose(disposing);
    }
}
