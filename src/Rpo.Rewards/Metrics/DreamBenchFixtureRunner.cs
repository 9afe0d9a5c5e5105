using Rpo.Diffusion.Parity;
using static TorchSharp.torch;

namespace Rpo.Rewards.Metrics;

/// <summary>
/// Runs <c>rpo.DreamBenchMetrics</c> cases end to end from the folder's image files with its <c>clip/</c> and
/// <c>dino/</c> models: pixel values, features, similarity matrices and the DINO / CLIP-I / CLIP-T scores, CLIP-T on
/// the case's <c>text_prompts</c> exactly as recorded.
/// </summary>
public sealed class DreamBenchFixtureRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["rpo.DreamBenchMetrics"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        using var evaluator = DreamBenchEvaluator.FromPretrained(Path.Combine(fixture.Folder, "clip"), Path.Combine(fixture.Folder, "dino"));
        FixtureImages.CheckDecodedJpegs(fixture);
        var references = RewardModel.ReadImages(FixtureImages.Files(fixture, "reference"));
        var generated = RewardModel.ReadImages(FixtureImages.Files(fixture, "generated"));
        var texts = FixtureImages.Strings(fixture, "text_prompts");

        var o = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var dinoRef = o["dino_features_reference"] = evaluator.DinoFeatures(o["pixel_values_dino_reference"] = evaluator.DinoProcessor.Preprocess(references));
        var dinoGen = o["dino_features_generated"] = evaluator.DinoFeatures(o["pixel_values_dino_generated"] = evaluator.DinoProcessor.Preprocess(generated));
        var dinoSim = o["dino_similarity"] = DreamBenchMetrics.CosineMatrix(dinoRef, dinoGen);
        o["DINO_score"] = tensor(new[] { (float)DreamBenchMetrics.MeanOfPairs(dinoSim) });

        var clipRef = o["clip_image_features_reference"] = evaluator.ClipImageFeatures(o["pixel_values_clip_reference"] = evaluator.ClipProcessor.Preprocess(references));
        var clipGen = o["clip_image_features_generated"] = evaluator.ClipImageFeatures(o["pixel_values_clip_generated"] = evaluator.ClipProcessor.Preprocess(generated));
        var clipSim = o["clip_i_similarity"] = DreamBenchMetrics.CosineMatrix(clipRef, clipGen);
        o["CLIP_I_score"] = tensor(new[] { (float)DreamBenchMetrics.MeanOfPairs(clipSim) });

        var inputs = evaluator.ClipTTokenize(texts);
        o["clip_t_untruncated_length"] = tensor(new long[] { inputs.UntruncatedLength });
        o["clip_t_input_ids"] = inputs.InputIds;
        o["clip_t_attention_mask"] = inputs.AttentionMask;
        var text = o["clip_t_text_features"] = evaluator.ClipTextFeatures(inputs);
        var perImage = o["clip_t_per_image"] = DreamBenchMetrics.ClipScorePerImage(clipGen, text);
        o["CLIP_T_score"] = tensor(new[] { (float)DreamBenchMetrics.ClipT(perImage) });
        return o;
    }
}
