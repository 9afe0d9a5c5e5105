using System.Text.Json;
using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Models.Clip;
using Rpo.Diffusion.Models.Unet;
using Rpo.Diffusion.Models.Vae;
using Rpo.Diffusion.Tokenizers;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Pipelines;

/// <summary>
/// A seeded, randomly initialised Stable Diffusion 1.x-shaped pipeline small enough to train on a laptop CPU in
/// seconds (the same architecture family as the shared tiny fixtures: 64-pixel images, 32×32 latents). It is the
/// product's mock model: every part of the pipeline runs on it end to end; its images are noise-like by design.
/// </summary>
public static class TinyStableDiffusion
{
    /// <summary>Prompt words the tiny tokenizer learns merges from; anything else still tokenizes, byte by byte.</summary>
    static readonly string[] Corpus =
    [
        "a photo of [V] dog", "a photo of a dog", "a cat", "a backpack", "a teapot", "a vase", "a toy", "a sneaker",
        "a [V] dog in the jungle", "a [V] dog in the snow", "a [V] dog on the beach", "a [V] dog on a cobblestone street",
        "a [V] dog on top of pink fabric", "a [V] dog on top of a wooden floor", "a [V] dog with a city in the background",
        "a [V] dog with a mountain in the background", "a [V] dog with a blue house in the background",
        "a [V] dog on top of a purple rug in a forest", "a [V] dog wearing a red hat", "a [V] dog wearing a santa hat",
        "a [V] dog wearing a rainbow scarf", "a [V] dog wearing a black top hat and a monocle", "a [V] dog in a chef outfit",
        "a [V] dog in a firefighter outfit", "a [V] dog in a police outfit", "a [V] dog wearing pink glasses",
        "a [V] dog wearing a yellow shirt", "a [V] dog in a purple wizard outfit", "a red [V] dog", "a purple [V] dog",
        "a shiny [V] dog", "a wet [V] dog", "a cube shaped [V] dog", "a [V] backpack on top of green grass with sunflowers around it",
        "a [V] backpack floating on top of water", "a [V] backpack floating in an ocean of milk",
        "a [V] backpack on top of a dirt road", "a [V] backpack on top of a white rug", "high quality digital painting",
    ];

    /// <summary>The tiny UNet: SD 1.x layout (1×1-conv projections, 8 heads), 32×32 latents.</summary>
    public static UNet2DConditionConfig UnetConfig => UNet2DConditionConfig.Parse("""
            {"sample_size": 32, "in_channels": 4, "out_channels": 4, "block_out_channels": [32, 64], "layers_per_block": 2,
             "down_block_types": ["CrossAttnDownBlock2D", "DownBlock2D"], "up_block_types": ["UpBlock2D", "CrossAttnUpBlock2D"],
             "attention_head_dim": 8, "cross_attention_dim": 32, "norm_num_groups": 32, "use_linear_projection": false}
            """);

    /// <summary>Writes a complete diffusers folder (model_index.json, unet, vae, text_encoder, tokenizer, scheduler).</summary>
    public static void Write(string folder, int seed = 0)
    {
        Directory.CreateDirectory(folder);
        var vocabulary = ClipVocabularyBuilder.Build(Corpus, vocabSize: 1000);
        ClipVocabularyBuilder.Save(vocabulary, Path.Combine(folder, "tokenizer"));
        int vocabSize = vocabulary.Vocab.Count;

        var textConfig = new CLIPTextConfig
        {
            VocabSize = vocabSize, HiddenSize = 32, IntermediateSize = 37, ProjectionDim = 32, NumHiddenLayers = 5,
            NumAttentionHeads = 4, MaxPositionEmbeddings = 77, HiddenAct = "quick_gelu",
            BosTokenId = vocabSize - 2, EosTokenId = vocabSize - 1, PadTokenId = vocabSize - 1,
        };
        var vaeConfig = AutoencoderKLConfig.Parse("""
            {"sample_size": 64, "in_channels": 3, "out_channels": 3, "latent_channels": 4, "block_out_channels": [32, 64],
             "layers_per_block": 1, "norm_num_groups": 32,
             "down_block_types": ["DownEncoderBlock2D", "DownEncoderBlock2D"], "up_block_types": ["UpDecoderBlock2D", "UpDecoderBlock2D"]}
            """);

        // One seed per component, so that changing one part does not reshuffle the others' weights.
        manual_seed(seed);
        using (var textEncoder = new CLIPTextModel(textConfig)) textEncoder.SavePretrained(Path.Combine(folder, "text_encoder"));
        manual_seed(seed + 1);
        using (var unet = new UNet2DConditionModel(UnetConfig)) unet.SavePretrained(Path.Combine(folder, "unet"));
        manual_seed(seed + 2);
        using (var vae = new AutoencoderKL(vaeConfig)) vae.SavePretrained(Path.Combine(folder, "vae"));

        WriteJson(Path.Combine(folder, "scheduler", "scheduler_config.json"), new Dictionary<string, object?>
        {
            // Stable Diffusion's training schedule with DDIM sampling, as the SD 1.x/2.x folders ship it.
            ["_class_name"] = "DDIMScheduler", ["_diffusers_version"] = ConfigWriter.DiffusersVersion,
            ["num_train_timesteps"] = 1000, ["beta_start"] = 0.00085, ["beta_end"] = 0.012, ["beta_schedule"] = "scaled_linear",
            ["clip_sample"] = false, ["set_alpha_to_one"] = false, ["steps_offset"] = 1, ["prediction_type"] = "epsilon",
            ["timestep_spacing"] = "leading",
        });
        WriteJson(Path.Combine(folder, "model_index.json"), new Dictionary<string, object?>
        {
            ["_class_name"] = "StableDiffusionPipeline", ["_diffusers_version"] = ConfigWriter.DiffusersVersion,
            ["feature_extractor"] = new string?[] { null, null }, ["safety_checker"] = new string?[] { null, null },
            ["requires_safety_checker"] = false,
            ["scheduler"] = new[] { "diffusers", "DDIMScheduler" }, ["text_encoder"] = new[] { "transformers", "CLIPTextModel" },
            ["tokenizer"] = new[] { "transformers", "CLIPTokenizer" }, ["unet"] = new[] { "diffusers", "UNet2DConditionModel" },
            ["vae"] = new[] { "diffusers", "AutoencoderKL" },
        });
    }

    static void WriteJson(string path, Dictionary<string, object?> content)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        File.WriteAllText(path, JsonSerializer.Serialize(content, ConfigJson.Options));
    }
}
