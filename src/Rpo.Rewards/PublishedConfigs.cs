namespace Rpo.Rewards;

/// <summary>
/// The config.json of each published encoder checkpoint, written (as transformers writes them) as the values that
/// differ from the class defaults: for building the real architectures without downloading them (benchmarks, key
/// lists on the meta device).
/// </summary>
public static class PublishedConfigs
{
    /// <summary>openai/clip-vit-base-patch16's config.json (the values that differ from the class defaults).</summary>
    public const string ClipVitB16 = """
        {"model_type": "clip", "projection_dim": 512, "logit_scale_init_value": 2.6592,
         "text_config": {"hidden_size": 512, "intermediate_size": 2048, "num_attention_heads": 8, "num_hidden_layers": 12,
                         "max_position_embeddings": 77, "vocab_size": 49408, "bos_token_id": 0, "eos_token_id": 2, "pad_token_id": 1},
         "vision_config": {"hidden_size": 768, "intermediate_size": 3072, "num_attention_heads": 12, "num_hidden_layers": 12,
                           "image_size": 224, "patch_size": 16}}
        """;

    /// <summary>kakaobrain/align-base's config.json: transformers' convert_align_tf_to_hf.py takes EfficientNet-B7 with
    /// image_size 289 and hidden_dim 640, BERT-base, projection_dim 640.</summary>
    public const string AlignBase = """
        {"model_type": "align", "projection_dim": 640, "temperature_init_value": 1.0,
         "text_config": {"model_type": "align_text_model"},
         "vision_config": {"model_type": "align_vision_model", "image_size": 289, "hidden_dim": 640, "depthwise_padding": []}}
        """;

    /// <summary>facebook/dino-vits16's config.json.</summary>
    public const string DinoVitS16 = """
        {"model_type": "vit", "hidden_size": 384, "num_hidden_layers": 12, "num_attention_heads": 6,
         "intermediate_size": 1536, "hidden_act": "gelu", "image_size": 224, "patch_size": 16, "qkv_bias": true,
         "layer_norm_eps": 1e-12}
        """;
}
