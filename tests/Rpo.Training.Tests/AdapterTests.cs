using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Pipelines;
using Rpo.Rewards;
using Rpo.Tests.Shared;
using Rpo.Training.Adapters;

namespace Rpo.Training.Tests;

public class AdapterTests
{
    [Fact]
    public void Pipeline_generator_is_reproducible_from_prompt_and_seed()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"rpo-adapter-{Guid.NewGuid():N}");
        try
        {
            TinyStableDiffusion.Write(folder);
            using var pipeline = StableDiffusionPipeline.FromPretrained(folder);
            var generator = new PipelineImageGenerator(pipeline, steps: 2, guidanceScale: 3);
            var a = generator.Generate("a dog", 5);
            var b = generator.Generate("a dog", 5);
            var c = generator.Generate("a dog", 6);
            int sampleSize = pipeline.Unet.Config.SampleSize?.Single ?? pipeline.Unet.Config.SampleSize!.List![0];
            Assert.Equal(sampleSize * pipeline.VaeScaleFactor, a.Width);
            Assert.Equal(a.Pixels, b.Pixels);
            Assert.NotEqual(a.Pixels, c.Pixels);
        }
        finally
        {
            if (Directory.Exists(folder)) Directory.Delete(folder, true);
        }
    }

    [Fact]
    public void Reward_scorer_matches_the_reward_with_references_encoded_once()
    {
        string fixture = TestPaths.Fixture("reward-clip-tiny");
        using var model = RewardModel.FromPretrained(fixture);
        IReadOnlyList<RgbImage> Read(string sub) =>
            RewardModel.ReadImages(Directory.GetFiles(Path.Combine(fixture, "images", sub)).Order(StringComparer.Ordinal));
        var references = Read("reference");
        var generated = Read("candidates");
        var prompts = generated.Select((_, i) => i % 2 == 0 ? "a dog" : "a backpack").ToList();
        using var scorer = new RewardModelScorer(model, references);

        var got = scorer.Score(generated, prompts, 0.3);
        var expected = new LambdaHarmonicReward(model).Score(references, generated, prompts, 0.3).Reward;
        Assert.Equal(generated.Count, got.Count);
        for (int i = 0; i < got.Count; i++) Assert.Equal(expected[i], got[i], 6);
        Assert.Equal(references.Count, scorer.ReferenceFeatures.shape[0]);
        Assert.Throws<ArgumentException>(() => scorer.Score(generated, ["a dog"], 0.3));
    }
}
