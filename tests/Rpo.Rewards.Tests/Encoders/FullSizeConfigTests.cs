using Rpo.Diffusion.Configs;
using Rpo.Rewards.Encoders.Align;
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
    // kakaobrain/align-base: transformers' convert_align_tf_to_hf.py takes EfficientNet-B7 with image_size 289 and
    // hidden_dim 640, BERT-base, projection_dim 640; config.json lists only what differs from the class defaults.
    const string AlignBaseConfig = """
        {"model_type": "align", "projection_dim": 640, "temperature_init_value": 1.0,
         "text_config": {"model_type": "align_text_model"},
         "vision_config": {"model_type": "align_vision_model", "image_size": 289, "hidden_dim": 640, "depthwise_padding": []}}
        """;

    // facebook/dino-vits16 (ViT-S/16).
    const string DinoVitS16Config = """
        {"model_type": "vit", "hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 6,
         "intermediate_size": 1536, "hidden_act": "gelu", "image_size": 224, "patch_size": 16, "qkv_bias": true,
         "layer_norm_eps": 1e-12}
        """;

    [Fact]
    public void Align_base_has_efficientnet_b7_blocks_and_bert_base()
    {
        var config = ConfigJson.Parse<AlignConfig>(AlignBaseConfig);
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
        var config = ConfigJson.Parse<ViTConfig>(DinoVitS16Config);
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
