using Rpo.Diffusion.Models.Vae;
using Rpo.Diffusion.Parity;
using Rpo.Diffusion.Weights;
using Rpo.Tests.Shared;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Models;

public class AutoencoderKLTests(ITestOutputHelper output)
{
    [Theory]
    [InlineData("sd15-vae")]
    [InlineData("sd21-base-vae")]
    [InlineData("sd21-vae")]
    public void Full_size_vae_has_the_reference_state_dict_names_and_shapes(string name)
    {
        var fixture = KeyListFixture.Load(name);
        using var vae = new AutoencoderKL(fixture.Config<AutoencoderKLConfig>(), new Device(DeviceType.META));
        fixture.AssertMatches(vae);
    }

    [Fact]
    public void Tiny_vae_matches_diffusers()
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("vae-tiny"));
        using var vae = AutoencoderKL.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        using (var posterior = vae.Encode(fixture.Inputs["image"]))
        {
            output.WriteLine(Rpo.Tests.Shared.Parity.AssertClose(fixture, "latent_mean", posterior.Mean).ToString());
            output.WriteLine(Rpo.Tests.Shared.Parity.AssertClose(fixture, "latent_logvar", posterior.LogVar).ToString());
            output.WriteLine(Rpo.Tests.Shared.Parity.AssertClose(fixture, "latent_std", posterior.Std).ToString());
        }
        using var decoded = vae.Decode(fixture.Inputs["latents"]);
        output.WriteLine(Rpo.Tests.Shared.Parity.AssertClose(fixture, "decoded", decoded).ToString());
        Assert.Equal(0.18215, vae.ScalingFactor);
    }

    [Fact]
    public void Sample_draws_mean_plus_std_times_seeded_noise()
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture("vae-tiny"));
        using var vae = AutoencoderKL.FromPretrained(fixture.Folder);
        using var _ = no_grad();
        using var posterior = vae.Encode(fixture.Inputs["image"]);
        using var sample = posterior.Sample(new Generator(7));
        using var again = posterior.Sample(new Generator(7));
        using var noise = randn(posterior.Mean.shape, generator: new Generator(7));
        using var expected = posterior.Mean + posterior.Std * noise;
        Assert.True(sample.eq(again).all().item<bool>());
        Assert.True(sample.allclose(expected, rtol: 0, atol: 1e-6));
        Assert.False(sample.allclose(posterior.Mean, rtol: 0, atol: 1e-3));
    }

    [Fact]
    public void Old_attention_names_load_after_renaming()
    {
        Assert.Equal("encoder.mid_block.attentions.0.to_q.weight", AutoencoderKL.RenameLegacyKey("encoder.mid_block.attentions.0.query.weight"));
        Assert.Equal("decoder.mid_block.attentions.0.to_k.bias", AutoencoderKL.RenameLegacyKey("decoder.mid_block.attentions.0.key.bias"));
        Assert.Equal("decoder.mid_block.attentions.0.to_v.weight", AutoencoderKL.RenameLegacyKey("decoder.mid_block.attentions.0.value.weight"));
        Assert.Equal("encoder.mid_block.attentions.0.to_out.0.bias", AutoencoderKL.RenameLegacyKey("encoder.mid_block.attentions.0.proj_attn.bias"));
        Assert.Equal("encoder.mid_block.attentions.0.group_norm.weight", AutoencoderKL.RenameLegacyKey("encoder.mid_block.attentions.0.group_norm.weight"));
        Assert.Equal("encoder.down_blocks.0.resnets.0.conv1.weight", AutoencoderKL.RenameLegacyKey("encoder.down_blocks.0.resnets.0.conv1.weight"));

        // A copy of the tiny VAE with the old names loads to the same weights.
        string folder = Directory.CreateTempSubdirectory("vae-legacy-").FullName;
        try
        {
            string source = TestPaths.Fixture("vae-tiny");
            File.Copy(Path.Combine(source, "config.json"), Path.Combine(folder, "config.json"));
            var renamed = new Dictionary<string, Tensor>();
            using (var file = SafeTensorsFile.Open(Path.Combine(source, "diffusion_pytorch_model.safetensors")))
                foreach (var name in file.Tensors.Keys)
                    renamed[name.Replace(".to_q.", ".query.", StringComparison.Ordinal).Replace(".to_k.", ".key.", StringComparison.Ordinal)
                        .Replace(".to_v.", ".value.", StringComparison.Ordinal).Replace(".to_out.0.", ".proj_attn.", StringComparison.Ordinal)] = file.Read(name);
            Assert.Contains("encoder.mid_block.attentions.0.query.weight", renamed.Keys);
            SafeTensorsWriter.Write(Path.Combine(folder, "diffusion_pytorch_model.safetensors"), renamed);
            foreach (var t in renamed.Values) t.Dispose();

            using var legacy = AutoencoderKL.FromPretrained(folder);
            using var current = AutoencoderKL.FromPretrained(source);
            var expected = current.state_dict();
            foreach (var (name, tensor) in legacy.state_dict())
                Assert.True(tensor.eq(expected[name]).all().item<bool>(), name);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void Unsupported_block_type_is_refused_by_name()
    {
        var config = AutoencoderKLConfig.Parse("""{"down_block_types": ["AttnDownEncoderBlock2D"], "block_out_channels": [32]}""");
        var error = Assert.Throws<NotSupportedException>(() => new AutoencoderKL(config, new Device(DeviceType.META)));
        Assert.Contains("down_block_types", error.Message, StringComparison.Ordinal);
    }
}
