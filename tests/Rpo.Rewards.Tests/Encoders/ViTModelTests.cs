using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Weights;
using Rpo.Rewards.Encoders.Vit;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Rewards.Tests.Encoders;

public class ViTModelTests
{
    static readonly string Folder = TestPaths.Fixture("vit-dino-tiny");

    [Fact]
    public void Matches_transformers_on_vit_dino_tiny()
    {
        using var fixture = FixtureCase.Load(Folder);
        using var model = ViTModel.FromPretrained(Folder);
        using var _ = no_grad();
        var pixels = fixture.Inputs["pixel_values"];

        using var last = model.forward(pixels);
        Parity.AssertClose(fixture, "last_hidden_state", last);
        using var cls = model.ClsFeatures(pixels);
        Parity.AssertClose(fixture, "cls", cls);
    }

    [Fact]
    public void Gives_the_dino_features_of_the_dreambench_metrics_case()
    {
        // The DreamBench case's own tiny DINO, fed with the processor outputs it stores.
        using var fixture = FixtureCase.Load(TestPaths.Fixture("metrics-dreambench-tiny"));
        using var model = ViTModel.FromPretrained(TestPaths.Fixture("metrics-dreambench-tiny", "dino"));
        using var _ = no_grad();
        Parity.AssertClose(fixture, "dino_features_reference", model.ClsFeatures(fixture.Outputs["pixel_values_dino_reference"]));
        Parity.AssertClose(fixture, "dino_features_generated", model.ClsFeatures(fixture.Outputs["pixel_values_dino_generated"]));
    }

    [Fact]
    public void State_dict_keys_are_the_transformers_keys()
    {
        using var model = new ViTModel(Rpo.Diffusion.Configs.ConfigJson.Load<ViTConfig>(Path.Combine(Folder, "config.json")));
        using var file = SafeTensorsFile.Open(Path.Combine(Folder, "model.safetensors"));
        Assert.Equal(file.Tensors.Keys.Order(StringComparer.Ordinal), model.state_dict().Keys.Order(StringComparer.Ordinal));
    }

    [Fact]
    public void Checkpoint_with_pooler_loads_with_or_without_the_pooling_layer()
    {
        // A real DINO checkpoint (facebook/dino-vits16) carries pooler.dense.*; the fixture's model has none.
        var folder = Directory.CreateTempSubdirectory("vit-pooler-").FullName;
        try
        {
            File.Copy(Path.Combine(Folder, "config.json"), Path.Combine(folder, "config.json"));
            var tensors = new Dictionary<string, Tensor>();
            using (var file = SafeTensorsFile.Open(Path.Combine(Folder, "model.safetensors")))
                foreach (var name in file.Tensors.Keys)
                    tensors[name] = file.Read(name);
            tensors["pooler.dense.weight"] = randn(32, 32);
            tensors["pooler.dense.bias"] = randn(32);
            SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });

            using var fixture = FixtureCase.Load(Folder);
            using var _ = no_grad();
            using var plain = ViTModel.FromPretrained(folder);
            Assert.False(plain.HasPooler);
            Parity.AssertClose(fixture, "cls", plain.ClsFeatures(fixture.Inputs["pixel_values"]));

            using var pooled = ViTModel.FromPretrained(folder, addPoolingLayer: true);
            using var last = pooled.forward(fixture.Inputs["pixel_values"]);
            var expected = tanh(nn.functional.linear(last[.., 0], tensors["pooler.dense.weight"], tensors["pooler.dense.bias"]));
            Assert.True(allclose(expected, pooled.PoolerOutput(last), rtol: 0, atol: 1e-6));
            foreach (var t in tensors.Values) t.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Rejects_an_image_size_other_than_the_configured_one()
    {
        using var model = ViTModel.FromPretrained(Folder);
        using var _ = no_grad();
        var e = Assert.Throws<ArgumentException>(() => model.forward(zeros(1, 3, 48, 48)));
        Assert.Contains("doesn't match model", e.Message);
    }
}
