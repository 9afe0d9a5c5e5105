using System.Text.Json;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Weights;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Models;

public sealed class SavePretrainedTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-save-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void A_saved_unet_reloads_to_the_same_outputs_with_a_diffusers_config()
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("unet-sd1-tiny"));
        using var original = UNet2DConditionModel.FromPretrained(fixture.Folder);
        original.SavePretrained(_dir);

        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(_dir, "config.json")));
        Assert.Equal("UNet2DConditionModel", doc.RootElement.GetProperty("_class_name").GetString());
        Assert.Equal([32, 64], doc.RootElement.GetProperty("block_out_channels").EnumerateArray().Select(e => e.GetInt32()));
        Assert.Equal(8, doc.RootElement.GetProperty("attention_head_dim").GetInt32());

        using var reloaded = UNet2DConditionModel.FromPretrained(_dir);
        using var _ = no_grad();
        var a = original.call(fixture.Inputs["sample"], fixture.Inputs["timestep"], fixture.Inputs["encoder_hidden_states"]);
        var b = reloaded.call(fixture.Inputs["sample"], fixture.Inputs["timestep"], fixture.Inputs["encoder_hidden_states"]);
        Assert.True(a.equal(b).all().item<bool>());
    }

    [Fact]
    public void Half_precision_save_stores_F16_and_loads_back_into_float32()
    {
        using var unet = UNet2DConditionModel.FromPretrained(TestPaths.Fixture("unet-sd1-tiny"));
        unet.SavePretrained(_dir, ScalarType.Float16);
        using (var file = SafeTensorsFile.Open(Path.Combine(_dir, "diffusion_pytorch_model.safetensors")))
            Assert.All(file.Tensors.Values, t => Assert.Equal("F16", t.Dtype));
        using var reloaded = UNet2DConditionModel.FromPretrained(_dir);
        var w = reloaded.state_dict()["conv_in.weight"];
        Assert.Equal(ScalarType.Float32, w.dtype);
        Assert.True(w.allclose(unet.state_dict()["conv_in.weight"], rtol: 1e-3, atol: 1e-4));
    }
}
