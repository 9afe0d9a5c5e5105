using Rpo.Diffusion.Configs;
using Rpo.Rewards.Encoders.Align;
using Rpo.Rewards.Encoders.Clip;
using Rpo.Rewards.Encoders.Vit;
using static TorchSharp.torch;

namespace Rpo.Rewards.Tests.Encoders;

/// <summary>
/// The published configurations build the published architectures. Built on the meta device: shapes without
/// memory, so the full-size models cost nothing here. The default device is process-wide, so this collection runs
/// alone.
/// </summary>
[Collection(nameof(MetaDeviceCollection))]
public class FullSizeConfigTests
{
    [Fact]
    public void Clip_vit_b16_has_the_published_keys_and_149_6_million_parameters()
    {
        var config = ConfigJson.Parse<CLIPConfig>(PublishedConfigs.ClipVitB16);
        using var model = WithDefaultDevice(META, () => new CLIPModel(config));
        var state = model.state_dict();
        Assert.Equal(TorchSharp.DeviceType.META, state["logit_scale"].device_type);
        Assert.Equal(149_620_737, model.parameters().Sum(p => p.numel()));
        Assert.Equal([768, 3, 16, 16], state["vision_model.embeddings.patch_embedding.weight"].shape);
        Assert.DoesNotContain("vision_model.embeddings.patch_embedding.bias", state.Keys);
        Assert.Equal([768], state["vision_model.embeddings.class_embedding"].shape);
        Assert.Equal([197, 768], state["vision_model.embeddings.position_embedding.weight"].shape);
        Assert.Contains("vision_model.pre_layrnorm.weight", state.Keys);
        Assert.Contains("vision_model.post_layernorm.bias", state.Keys);
        Assert.Contains("vision_model.encoder.layers.11.self_attn.k_proj.weight", state.Keys);
        Assert.Contains("text_model.encoder.layers.11.mlp.fc2.bias", state.Keys);
        Assert.Equal([49408, 512], state["text_model.embeddings.token_embedding.weight"].shape);
        Assert.Equal([512, 768], state["visual_projection.weight"].shape);
        Assert.Equal([512, 512], state["text_projection.weight"].shape);
        Assert.DoesNotContain("text_projection.bias", state.Keys);
        Assert.Empty(state["logit_scale"].shape);
        // text 2 + 12 x 16 + 2, vision 3 + 2 + 12 x 16 + 2, projections 2, logit_scale 1.
        Assert.Equal(398, state.Count);
    }

    [Fact]
    public void Align_base_has_efficientnet_b7_blocks_and_bert_base()
    {
        var config = ConfigJson.Parse<AlignConfig>(PublishedConfigs.AlignBase);
        using var model = WithDefaultDevice(META, () => new AlignModel(config));
        var state = model.state_dict();
        Assert.Equal(TorchSharp.DeviceType.META, state["temperature"].device_type);
        var blocks = state.Keys.Where(k => k.StartsWith("vision_model.encoder.blocks.", StringComparison.Ordinal))
            .Select(k => int.Parse(k.Split('.')[3], System.Globalization.CultureInfo.InvariantCulture)).Distinct().Count();
        Assert.Equal(55, blocks); // sum of ceil(3.1 x [1, 2, 2, 3, 3, 4, 1])
        Assert.Equal([64, 3, 3, 3], state["vision_model.embeddings.convolution.weight"].shape);
        Assert.Equal([640, 3840, 1, 1], state["vision_model.encoder.blocks.54.projection.project_conv.weight"].shape);
        Assert.Equal([640, 768], state["text_projection.weight"].shape);
        Assert.Equal(12, state.Keys.Count(k => k.StartsWith("text_model.encoder.layer.", StringComparison.Ordinal) && k.EndsWith(".attention.self.query.weight", StringComparison.Ordinal)));
        Assert.Contains("text_model.pooler.dense.weight", state.Keys);
    }

    [Fact]
    public void Dino_vit_s16_has_21_7_million_parameters()
    {
        var config = ConfigJson.Parse<ViTConfig>(PublishedConfigs.DinoVitS16);
        using var model = WithDefaultDevice(META, () => new ViTModel(config));
        Assert.Equal(21_665_664, model.parameters().Sum(p => p.numel()));
        Assert.Equal([1, 197, 384], model.state_dict()["embeddings.position_embeddings"].shape);
        using var pooled = WithDefaultDevice(META, () => new ViTModel(config, addPoolingLayer: true));
        Assert.Equal(21_665_664 + 384 * 384 + 384, pooled.parameters().Sum(p => p.numel()));
    }

    static T WithDefaultDevice<T>(Device device, Func<T> build)
    {
        set_default_device(device);
        try
        {
            return build();
        }
        finally
        {
            set_default_device(CPU);
        }
    }
}

[CollectionDefinition(nameof(MetaDeviceCollection), DisableParallelization = true)]
public sealed class MetaDeviceCollection;
