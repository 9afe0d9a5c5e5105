using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Weights;
using Rpo.Rewards.Encoders;
using Rpo.Rewards.Encoders.Align;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Rewards.Tests.Encoders;

public class AlignModelTests
{
    static readonly string Folder = TestPaths.Fixture("align-tiny");

    [Fact]
    public void Matches_transformers_on_align_tiny()
    {
        using var fixture = FixtureCase.Load(Folder);
        using var model = AlignModel.FromPretrained(Folder);
        using var _ = no_grad();
        var ids = fixture.Inputs["input_ids"];
        var mask = fixture.Inputs["attention_mask"];
        var types = fixture.Inputs["token_type_ids"];
        var pixels = fixture.Inputs["pixel_values"];

        Parity.AssertClose(fixture, "text_features", model.GetTextFeatures(ids, mask, types));
        Parity.AssertClose(fixture, "image_features", model.GetImageFeatures(pixels));

        using var o = model.Forward(ids, pixels, mask, types);
        Parity.AssertClose(fixture, "logits_per_image", o.LogitsPerImage);
        Parity.AssertClose(fixture, "logits_per_text", o.LogitsPerText);
        Parity.AssertClose(fixture, "text_embeds", o.TextEmbeds);
        Parity.AssertClose(fixture, "image_embeds", o.ImageEmbeds);
        Parity.AssertClose(fixture, "vision_last_hidden_state", o.VisionLastHiddenState);
        Parity.AssertClose(fixture, "text_last_hidden_state", o.TextLastHiddenState);
    }

    [Fact]
    public void Matches_the_features_of_reward_align_tiny()
    {
        // A second ALIGN (other vocabulary, other seeds) fed with the processor outputs the reward case stores.
        var folder = TestPaths.Fixture("reward-align-tiny");
        using var fixture = FixtureCase.Load(folder);
        using var model = AlignModel.FromPretrained(folder);
        using var _ = no_grad();
        IImageTextEncoder encoder = model;
        Assert.Equal(40, encoder.EmbeddingDim);
        Parity.AssertClose(fixture, "image_features_reference", encoder.ImageFeatures(fixture.Outputs["pixel_values_reference"]));
        Parity.AssertClose(fixture, "image_features_candidates", encoder.ImageFeatures(fixture.Outputs["pixel_values_candidates"]));
        Parity.AssertClose(fixture, "text_features",
            encoder.TextFeatures(fixture.Outputs["input_ids"], fixture.Outputs["attention_mask"], fixture.Outputs["token_type_ids"]));
    }

    [Fact]
    public void State_dict_keys_and_shapes_are_the_transformers_ones()
    {
        using var model = new AlignModel(ConfigJson.Load<AlignConfig>(Path.Combine(Folder, "config.json")));
        using var file = SafeTensorsFile.Open(Path.Combine(Folder, "model.safetensors"));
        var state = model.state_dict();
        Assert.Equal(file.Tensors.Keys.Order(StringComparer.Ordinal), state.Keys.Order(StringComparer.Ordinal));
        foreach (var (name, info) in file.Tensors)
            Assert.Equal(info.Shape, state[name].shape);
        // BatchNorm's counter is an int64 buffer in both.
        Assert.Equal(ScalarType.Int64, state["vision_model.embeddings.batchnorm.num_batches_tracked"].dtype);
    }

    [Fact]
    public void Loads_a_checkpoint_that_still_stores_position_ids()
    {
        var folder = Directory.CreateTempSubdirectory("align-position-ids-").FullName;
        try
        {
            File.Copy(Path.Combine(Folder, "config.json"), Path.Combine(folder, "config.json"));
            var tensors = new Dictionary<string, Tensor>();
            using (var file = SafeTensorsFile.Open(Path.Combine(Folder, "model.safetensors")))
                foreach (var name in file.Tensors.Keys)
                    tensors[name] = file.Read(name);
            tensors["text_model.embeddings.position_ids"] = arange(64L, dtype: ScalarType.Int64).unsqueeze(0);
            SafeTensorsWriter.Write(Path.Combine(folder, "model.safetensors"), tensors, new Dictionary<string, string> { ["format"] = "pt" });

            using var fixture = FixtureCase.Load(Folder);
            using var model = AlignModel.FromPretrained(folder);
            using var _ = no_grad();
            Parity.AssertClose(fixture, "text_features",
                model.GetTextFeatures(fixture.Inputs["input_ids"], fixture.Inputs["attention_mask"], fixture.Inputs["token_type_ids"]));
            foreach (var t in tensors.Values) t.Dispose();
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Config_defaults_fill_what_transformers_leaves_out()
    {
        var config = ConfigJson.Load<AlignConfig>(Path.Combine(Folder, "config.json"));
        Assert.Equal(1e-3, config.VisionConfig.BatchNormEps);
        Assert.Equal("swish", config.VisionConfig.HiddenAct);
        Assert.Equal(8, config.VisionConfig.DepthDivisor);
        Assert.Equal(1e-12, config.TextConfig.LayerNormEps);
        Assert.Equal(2, config.TextConfig.TypeVocabSize);
        Assert.Equal([1, 1, 2], config.VisionConfig.NumBlockRepeats);
        // round_filters with width 1.25: 32 -> 40, 16 -> 24 (20 rounds up to a multiple of 8), 30 -> 40.
        Assert.Equal(40, config.VisionConfig.RoundFilters(32));
        Assert.Equal(24, config.VisionConfig.RoundFilters(16));
        Assert.Equal(40, config.VisionConfig.RoundFilters(30));
        Assert.Equal(3, config.VisionConfig.RoundRepeats(2));
    }

    [Fact]
    public void Text_features_do_not_depend_on_padding()
    {
        using var fixture = FixtureCase.Load(Folder);
        using var model = AlignModel.FromPretrained(Folder);
        using var _ = no_grad();
        var ids = fixture.Inputs["input_ids"];
        var mask = fixture.Inputs["attention_mask"];
        var padded = model.GetTextFeatures(
            cat([ids, zeros(ids.shape[0], 8, dtype: ScalarType.Int64)], 1),
            cat([mask, zeros(mask.shape[0], 8, dtype: mask.dtype)], 1));
        Assert.True(allclose(model.GetTextFeatures(ids, mask), padded, rtol: 1e-5, atol: 1e-5));
    }
}
