using Rpo.Diffusion.Weights;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Weights;

public sealed class ModuleWeightsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-mw-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    sealed class Tiny : nn.Module
    {
        readonly Linear proj;
        readonly ModuleList<Linear> to_out;

        public Tiny(int width) : base(nameof(Tiny))
        {
            proj = nn.Linear(4, width);
            to_out = nn.ModuleList(nn.Linear(width, 2));
            RegisterComponents();
        }
    }

    [Fact]
    public void Save_then_load_restores_every_parameter_by_name()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        var source = new Tiny(3);
        ModuleWeights.Save(source, path);
        using (var file = SafeTensorsFile.Open(path))
            Assert.Equal(["proj.bias", "proj.weight", "to_out.0.bias", "to_out.0.weight"], file.Tensors.Keys.Order());

        var target = new Tiny(3);
        ModuleWeights.Load(target, path);
        foreach (var (name, p) in source.state_dict())
            Assert.True(p.equal(target.state_dict()[name]).all().item<bool>(), name);
    }

    [Fact]
    public void Load_lists_missing_unexpected_and_mismatched_keys_and_changes_nothing()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        SafeTensorsWriter.Write(path,
        [
            new("proj.weight", zeros(5, 4)),      // wrong shape
            new("proj.bias", zeros(3)),
            new("extra.weight", zeros(1)),        // unexpected
        ]);
        var target = new Tiny(3);
        var before = target.state_dict()["proj.bias"].clone();
        var error = Assert.Throws<WeightLoadException>(() => ModuleWeights.Load(target, path));
        Assert.Contains("2 missing from the file: to_out.0.bias, to_out.0.weight", error.Message);
        Assert.Contains("1 unexpected in the file: extra.weight", error.Message);
        Assert.Contains("'proj.weight': file [5, 4], model [3, 4]", error.Message);
        Assert.True(before.equal(target.state_dict()["proj.bias"]).all().item<bool>());
    }

    [Fact]
    public void Rename_maps_old_names_and_drops_keys()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        var source = new Tiny(3);
        var renamed = source.state_dict().ToDictionary(kv => kv.Key.Replace("to_out.0", "proj_attn"), kv => kv.Value);
        renamed["position_ids"] = arange(7);
        SafeTensorsWriter.Write(path, renamed);
        var target = new Tiny(3);
        ModuleWeights.Load(target, path, k => k == "position_ids" ? null : k.Replace("proj_attn", "to_out.0"));
        Assert.True(source.state_dict()["to_out.0.weight"].equal(target.state_dict()["to_out.0.weight"]).all().item<bool>());
    }

    [Fact]
    public void Loads_half_precision_files_into_float32_modules()
    {
        string path = Path.Combine(_dir, "m.safetensors");
        var source = new Tiny(3);
        SafeTensorsWriter.Write(path, source.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.to_type(ScalarType.BFloat16)));
        var target = new Tiny(3);
        ModuleWeights.Load(target, path);
        var w = target.state_dict()["proj.weight"];
        Assert.Equal(ScalarType.Float32, w.dtype);
        Assert.True(w.allclose(source.state_dict()["proj.weight"], rtol: 1e-2, atol: 1e-2));
    }
}
