using System.Text.Json;
using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Weights;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Clip;

public sealed class CLIPTextModelWeightsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-clip-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData("sd15-text_encoder")]
    [InlineData("sd21-base-text_encoder")]
    [InlineData("sd21-text_encoder")]
    public void State_dict_names_and_shapes_equal_the_real_text_encoder(string keysFile)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("keys", keysFile + ".json")));
        var root = doc.RootElement;
        var config = ConfigJson.Parse<CLIPTextConfig>(root.GetProperty("config").GetRawText());
        var expected = root.GetProperty("tensors").EnumerateArray()
            .Select(t => (t.GetProperty("name").GetString()!, string.Join(",", t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()))))
            .ToList();

        // Built on the meta device: names and shapes without allocating up to 1.4 GB of weights.
        using var model = new CLIPTextModel(config, META);
        var actual = model.state_dict().Select(kv => (kv.Key, string.Join(",", kv.Value.shape))).ToList();
        Assert.Equal(expected, actual);
        Assert.Equal(root.GetProperty("num_parameters").GetInt64(), model.parameters().Sum(p => p.numel()));
        Assert.Equal(META.type, model.parameters().First().device_type);
    }

    [Fact]
    public void Loading_drops_the_legacy_position_ids_buffer_of_published_checkpoints()
    {
        string folder = TestPaths.Fixture("clip-text-quickgelu-tiny");
        string withBuffer = Path.Combine(_dir, "model.safetensors");
        var tensors = new Dictionary<string, Tensor>();
        using (var file = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors")))
            foreach (var name in file.Tensors.Keys) tensors[name] = file.Read(name);
        Assert.DoesNotContain(CLIPTextModel.LegacyPositionIdsKey, tensors.Keys);
        tensors[CLIPTextModel.LegacyPositionIdsKey] = arange(77, dtype: ScalarType.Int64).unsqueeze(0);
        SafeTensorsWriter.Write(withBuffer, tensors);
        File.Copy(Path.Combine(folder, "config.json"), Path.Combine(_dir, "config.json"));

        using var reference = CLIPTextModel.FromPretrained(folder);
        using var loaded = CLIPTextModel.FromPretrained(_dir);
        Assert.DoesNotContain(CLIPTextModel.LegacyPositionIdsKey, loaded.state_dict().Keys);
        using var _ = no_grad();
        var ids = tensor(new long[] { 998, 320, 521, 515, 532, 528, 999 }, [1, 7]);
        Assert.True(loaded.forward(ids).LastHiddenState.allclose(reference.forward(ids).LastHiddenState, 0, 0));

        // Any other stray key is still an error.
        tensors["text_model.embeddings.extra"] = zeros(1);
        SafeTensorsWriter.Write(withBuffer, tensors);
        var error = Assert.Throws<WeightLoadException>(() => CLIPTextModel.FromPretrained(_dir));
        Assert.Contains("text_model.embeddings.extra", error.Message);
    }

    [Fact]
    public void Unknown_activation_is_a_clear_error()
    {
        var error = Assert.Throws<NotSupportedException>(() => new CLIPTextModel(new CLIPTextConfig { HiddenSize = 8, IntermediateSize = 8, NumAttentionHeads = 2, NumHiddenLayers = 1, VocabSize = 10, HiddenAct = "mish" }));
        Assert.Contains("mish", error.Message);
    }
}
