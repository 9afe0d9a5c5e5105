using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Weights;
using Rpo.Tests.Shared;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Models;

public class UNet2DConditionModelTests(ITestOutputHelper output)
{
    static readonly Device Meta = new(DeviceType.META);

    [Theory]
    [InlineData("sd15-unet")]
    [InlineData("sd21-base-unet")]
    [InlineData("sd21-unet")]
    public void Full_size_unet_has_the_reference_state_dict_names_and_shapes(string name)
    {
        var fixture = KeyListFixture.Load(name);
        // The meta device holds shapes only, so the 860M-parameter model costs no memory.
        using var unet = new UNet2DConditionModel(fixture.Config<UNet2DConditionConfig>(), Meta);
        fixture.AssertMatches(unet);
    }

    [Theory]
    [InlineData("unet-sd1-tiny")]
    [InlineData("unet-sd2-tiny")]
    public void Tiny_unet_matches_diffusers(string caseName)
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture(caseName));
        using var unet = UNet2DConditionModel.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        using var got = unet.call(fixture.Inputs["sample"], fixture.Inputs["timestep"], fixture.Inputs["encoder_hidden_states"]);
        var result = Rpo.Tests.Shared.Parity.AssertClose(fixture, "sample", got);
        output.WriteLine(result.ToString());
    }

    [Fact]
    public void Scalar_timestep_is_broadcast_to_the_batch()
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("unet-sd2-tiny"));
        using var unet = UNet2DConditionModel.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        var sample = fixture.Inputs["sample"];
        var context = fixture.Inputs["encoder_hidden_states"];
        long t0 = fixture.Inputs["timestep"].data<long>()[0];
        using var perBatch = unet.call(sample, full(sample.shape[0], t0, ScalarType.Int64), context);
        using var scalarInt = unet.call(sample, tensor(t0), context);
        using var scalarFloat = unet.call(sample, tensor((float)t0), context);
        Assert.True(perBatch.eq(scalarInt).all().item<bool>());
        Assert.True(perBatch.eq(scalarFloat).all().item<bool>());
    }

    [Fact]
    public void Odd_latent_size_upsamples_to_the_skip_size()
    {
        using var unet = UNet2DConditionModel.FromPretrained(TestPaths.Fixture("unet-sd2-tiny"));
        using var _ = no_grad();
        using var sample = randn(1, 4, 10, 6);
        using var context = randn(1, 5, 32);
        using var got = unet.call(sample, tensor(10L), context);
        Assert.Equal(sample.shape, got.shape);
    }

    [Fact]
    public void Gradients_flow_back_to_conv_in()
    {
        // Float64: LibTorch 2.10's float32 CPU convolution backward sometimes writes NaN into the input gradient
        // of a 3x3 conv with 4 output channels (conv_out here) when it runs on several threads (measured: about
        // 1 in 40 calls on this machine for Conv2d(32, 4, 3) alone; never in float64 or on one thread). The
        // question here is whether every parameter is reached, which float64 answers without that noise.
        using var fixture = FixtureCase.Load(TestPaths.Fixture("unet-sd1-tiny"));
        using var unet = UNet2DConditionModel.FromPretrained(fixture.Folder, ScalarType.Float64);
        unet.train();
        using var sample = fixture.Inputs["sample"].to(ScalarType.Float64);
        using var context = fixture.Inputs["encoder_hidden_states"].to(ScalarType.Float64);
        using var prediction = unet.call(sample, fixture.Inputs["timestep"], context);
        Assert.Equal(ScalarType.Float64, prediction.dtype);
        using var loss = nn.functional.mse_loss(prediction, zeros_like(prediction));
        loss.backward();

        var parameters = unet.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var withoutGrad = parameters.Where(p => p.Value.grad is null).Select(p => p.Key).ToList();
        Assert.True(withoutGrad.Count == 0, $"no gradient for {string.Join(", ", withoutGrad)}");
        var notFinite = parameters.Where(p => !p.Value.grad!.isfinite().all().item<bool>()).Select(p => p.Key).ToList();
        Assert.True(notFinite.Count == 0, $"non-finite gradient for {string.Join(", ", notFinite.Take(10))}");
        double convIn = parameters["conv_in.weight"].grad!.abs().sum().item<double>();
        output.WriteLine($"loss {loss.item<double>()}, sum |d loss / d conv_in.weight| {convIn}");
        Assert.True(convIn > 0, "conv_in.weight received a zero gradient");
    }

    [Theory]
    [InlineData("class_embed_type", "\"timestep\"")]
    [InlineData("addition_embed_type", "\"text_time\"")]
    [InlineData("num_attention_heads", "8")]
    [InlineData("resnet_time_scale_shift", "\"scale_shift\"")]
    [InlineData("time_embedding_type", "\"fourier\"")]
    [InlineData("mid_block_type", "\"UNetMidBlock2DSimpleCrossAttn\"")]
    [InlineData("down_block_types", "[\"SimpleCrossAttnDownBlock2D\", \"DownBlock2D\"]")]
    [InlineData("encoder_hid_dim", "768")]
    public void Unsupported_config_values_are_refused_by_name(string key, string value)
    {
        string json = $$"""{"block_out_channels": [32, 64], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "norm_num_groups": 32, "cross_attention_dim": 32, "{{key}}": {{value}}}""";
        var config = UNet2DConditionConfig.Parse(json);
        var error = Assert.Throws<NotSupportedException>(() => new UNet2DConditionModel(config, new Device(DeviceType.META)));
        Assert.Contains(key, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Only_cross_attention_makes_the_first_attention_read_the_text()
    {
        var config = UNet2DConditionConfig.Parse("""{"block_out_channels": [32, 64], "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"], "cross_attention_dim": 24, "attention_head_dim": 4, "only_cross_attention": [true, false]}""");
        using var unet = new UNet2DConditionModel(config, Meta);
        var shapes = unet.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape);
        Assert.Equal([32L, 24L], shapes["down_blocks.0.attentions.0.transformer_blocks.0.attn1.to_k.weight"]);
        // Up blocks take the list reversed: up block 1 mirrors down block 0.
        Assert.Equal([32L, 24L], shapes["up_blocks.1.attentions.0.transformer_blocks.0.attn1.to_k.weight"]);
        // The mid block has no only_cross_attention switch.
        Assert.Equal([64L, 64L], shapes["mid_block.attentions.0.transformer_blocks.0.attn1.to_k.weight"]);
    }

    [Fact]
    public void Config_reads_one_value_or_a_list_per_block()
    {
        var sd1 = UNet2DConditionConfig.Load(TestPaths.Fixture("unet-sd1-tiny", "config.json"));
        var sd2 = UNet2DConditionConfig.Load(TestPaths.Fixture("unet-sd2-tiny", "config.json"));
        Assert.Equal([8, 8], sd1.AttentionHeadDim.Expand(2, "attention_head_dim"));
        Assert.Equal([2, 4, 8], sd2.AttentionHeadDim.Expand(3, "attention_head_dim"));
        Assert.True(sd2.UseLinearProjection);
        Assert.False(sd1.UseLinearProjection);
        Assert.Equal(16, sd2.NormNumGroups);
        Assert.Throws<InvalidDataException>(() => sd2.AttentionHeadDim.Expand(4, "attention_head_dim"));
    }
}
