using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Tokenizers;
using Rpo.Tests.Shared;
using SharedParity = Rpo.Tests.Shared.Parity;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Clip;

public class CLIPTextModelParityTests
{
    [Theory]
    [InlineData("clip-text-quickgelu-tiny")]
    [InlineData("clip-text-gelu-tiny")]
    public void Matches_the_reference_outputs(string caseName)
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture(caseName));
        using var model = CLIPTextModel.FromPretrained(fixture.Folder);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var output = model.forward(fixture.Inputs["input_ids"], outputHiddenStates: true);

        SharedParity.AssertClose(fixture, "last_hidden_state", output.LastHiddenState);
        SharedParity.AssertClose(fixture, "pooler_output", output.PoolerOutput);
        var states = output.HiddenStates!;
        Assert.Equal(model.Config.NumHiddenLayers + 1, states.Count);
        for (int i = 0; i < states.Count; i++)
            SharedParity.AssertClose(fixture, $"hidden_states.{i}", states[i]);
        SharedParity.AssertClose(fixture, "penultimate_final_ln", model.FinalLayerNorm.forward(states[^2]));
        // diffusers' clip_skip=1 path gives the same tensor; no clip_skip gives last_hidden_state.
        SharedParity.AssertClose(fixture, "penultimate_final_ln", model.PromptEmbeddings(fixture.Inputs["input_ids"], clipSkip: 1));
        SharedParity.AssertClose(fixture, "last_hidden_state", model.PromptEmbeddings(fixture.Inputs["input_ids"]));
    }

    [Fact]
    public void Tokenizer_and_text_encoder_give_the_pipeline_prompt_embeddings()
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("sd-pipeline-tiny"));
        var tokenizer = ClipTokenizer.FromPretrained(Path.Combine(fixture.Folder, "tokenizer"));
        using var model = CLIPTextModel.FromPretrained(Path.Combine(fixture.Folder, "text_encoder"));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        SharedParity.AssertClose(fixture, "prompt_embeds", model.PromptEmbeddings(tokenizer.EncodeBatch(["a photo of sks dog"]).InputIdsTensor()));
        SharedParity.AssertClose(fixture, "negative_prompt_embeds", model.PromptEmbeddings(tokenizer.EncodeBatch([""]).InputIdsTensor()));
    }

    [Fact]
    public void Pools_at_the_first_eos_when_the_config_names_the_real_eos_id()
    {
        // With eos_token_id 999 (not the legacy 2) the pooled row is the first position holding 999; a higher id
        // placed after it must not move it, as argmax would.
        string folder = TestPaths.Fixture("clip-text-quickgelu-tiny");
        var config = Rpo.Diffusion.Configs.ConfigJson.Load<CLIPTextConfig>(Path.Combine(folder, "config.json")) with { EosTokenId = 998 };
        using var model = new CLIPTextModel(config);
        model.LoadWeights(Path.Combine(folder, "model.safetensors"));
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(new long[] { 5, 998, 7, 999, 998, 3 }, [1, 6]);
        var output = model.forward(ids);
        Assert.True(output.PoolerOutput.allclose(output.LastHiddenState[0, 1].unsqueeze(0), 0, 0));

        using var legacy = CLIPTextModel.FromPretrained(folder);
        var legacyOutput = legacy.forward(ids);
        Assert.True(legacyOutput.PoolerOutput.allclose(legacyOutput.LastHiddenState[0, 3].unsqueeze(0), 0, 0));
    }

    [Fact]
    public void Attention_mask_hides_masked_keys_from_later_tokens_only()
    {
        using var model = CLIPTextModel.FromPretrained(TestPaths.Fixture("clip-text-gelu-tiny"));
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var ids = tensor(new long[] { 998, 530, 640, 641, 320, 999, 0, 0 }, [1, 8]);
        var plain = model.forward(ids).LastHiddenState;

        // Right padding: the causal mask already keeps real tokens from seeing it, so they are unchanged.
        var padded = model.forward(ids, tensor(new long[] { 1, 1, 1, 1, 1, 1, 0, 0 }, [1, 8])).LastHiddenState;
        Assert.True(padded[0, ..6].allclose(plain[0, ..6], 0, 0));

        // Masking token 2 changes every later position and none before it.
        var holed = model.forward(ids, tensor(new long[] { 1, 1, 0, 1, 1, 1, 1, 1 }, [1, 8])).LastHiddenState;
        Assert.True(holed[0, ..2].allclose(plain[0, ..2], 0, 0));
        for (int i = 3; i < 8; i++)
            Assert.False(holed[0, i].allclose(plain[0, i], 1e-6, 1e-6), $"position {i} should see the mask");
    }

    [Fact]
    public void Rejects_more_tokens_than_position_embeddings()
    {
        using var model = CLIPTextModel.FromPretrained(TestPaths.Fixture("clip-text-gelu-tiny"));
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => model.forward(zeros(1, 78, dtype: ScalarType.Int64)));
        Assert.Contains("max_position_embeddings 77", error.Message);
    }
}
