using System.Text.Json;
using Rpo.Diffusion.Models.Clip;
using Rpo.Rewards.Encoders.Clip;
using static TorchSharp.torch;

namespace Rpo.Rewards;

/// <summary>
/// A seeded tiny CLIP reward encoder (32×32 images, 16-dimensional embeddings), written as a transformers folder that
/// <see cref="RewardModel.FromPretrained"/> loads: what <c>rpo init-model --tiny</c> puts beside its tiny pipeline so
/// that <c>rpo train</c> runs end to end without downloads.
/// </summary>
public static class TinyRewardModel
{
    /// <summary>Where a pipeline folder keeps the reward encoder that goes with it (<c>rpo train</c>'s default).</summary>
    public const string PipelineSubfolder = "reward";

    /// <summary>
    /// The whole mock model: the tiny Stable Diffusion pipeline (<see cref="Rpo.Diffusion.Pipelines.TinyStableDiffusion"/>)
    /// with this reward encoder in <c>reward/</c>, sharing the pipeline's tokenizer. <c>rpo init-model --tiny</c> and the
    /// pipeline's model catalog both write it through here, so a run on "tiny" and a run on that folder are the same.
    /// </summary>
    public static void WriteWithPipeline(string folder, int seed = 0)
    {
        Rpo.Diffusion.Pipelines.TinyStableDiffusion.Write(folder, seed);
        Write(Path.Combine(folder, PipelineSubfolder), Path.Combine(folder, "tokenizer"), seed + 3);
    }

    /// <param name="folder">Folder to write (config.json, model.safetensors, preprocessor_config.json, tokenizer files).</param>
    /// <param name="tokenizerFolder">A CLIP tokenizer folder (vocab.json, merges.txt, …) whose files are copied in; the
    /// text tower's vocabulary and special ids are sized from it.</param>
    public static void Write(string folder, string tokenizerFolder, int seed = 0)
    {
        string vocabPath = Path.Combine(tokenizerFolder, "vocab.json");
        if (!File.Exists(vocabPath)) throw new FileNotFoundException($"{tokenizerFolder} is not a CLIP tokenizer folder: vocab.json is missing.", vocabPath);
        Directory.CreateDirectory(folder);
        foreach (var file in Directory.GetFiles(tokenizerFolder))
            File.Copy(file, Path.Combine(folder, Path.GetFileName(file)), overwrite: true);

        var vocab = JsonSerializer.Deserialize<Dictionary<string, int>>(File.ReadAllText(vocabPath))
            ?? throw new InvalidDataException($"{vocabPath} holds no vocabulary.");
        int vocabSize = vocab.Count;
        int bos = vocab.TryGetValue("<|startoftext|>", out var b) ? b : vocabSize - 2;
        int eos = vocab.TryGetValue("<|endoftext|>", out var e) ? e : vocabSize - 1;
        var config = new CLIPConfig
        {
            ProjectionDim = 16,
            TextConfig = new CLIPTextConfig
            {
                VocabSize = vocabSize, HiddenSize = 32, IntermediateSize = 37, ProjectionDim = 16, NumHiddenLayers = 2,
                NumAttentionHeads = 4, MaxPositionEmbeddings = 77, BosTokenId = bos, EosTokenId = eos, PadTokenId = eos,
            },
            VisionConfig = new CLIPVisionConfig
            {
                HiddenSize = 32, IntermediateSize = 37, ProjectionDim = 16, NumHiddenLayers = 2, NumAttentionHeads = 4,
                ImageSize = 32, PatchSize = 4,
            },
        };
        manual_seed(seed);
        using (var model = new CLIPModel(config)) model.SavePretrained(folder);

        // CLIP's processor (resize shortest side, centre crop, OpenAI mean/std) at the tiny tower's 32 px.
        var processor = new Dictionary<string, object>
        {
            ["crop_size"] = 32, ["do_center_crop"] = true, ["do_normalize"] = true, ["do_resize"] = true,
            ["feature_extractor_type"] = "CLIPFeatureExtractor", ["image_processor_type"] = "CLIPImageProcessor",
            ["image_mean"] = new[] { 0.48145466, 0.4578275, 0.40821073 }, ["image_std"] = new[] { 0.26862954, 0.26130258, 0.27577711 },
            ["resample"] = 3, ["size"] = 32,
        };
        File.WriteAllText(Path.Combine(folder, "preprocessor_config.json"), JsonSerializer.Serialize(processor, new JsonSerializerOptions { WriteIndented = true }));
    }
}
