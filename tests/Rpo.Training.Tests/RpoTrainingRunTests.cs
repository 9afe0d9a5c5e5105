using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Training.Models;
using Rpo.Training.Negatives;
using Rpo.Training.Preferences;

namespace Rpo.Training.Tests;

public class RpoTrainingRunTests
{
    /// <summary>Stands in for the Stable Diffusion pipeline until it lands: a seeded random image per call.</summary>
    sealed class NoiseImageGenerator : IImageGenerator
    {
        public int Calls { get; private set; }
        public RgbImage Generate(string prompt, long seed)
        {
            Calls++;
            var img = new RgbImage(32, 32);
            new Random((int)seed ^ prompt.Length).NextBytes(img.Pixels);
            return img;
        }
    }

    /// <summary>Stands in for R_λ: the mean level of the image, shifted by λ.</summary>
    sealed class LevelScorer : IRewardScorer
    {
        public IReadOnlyList<double> Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> textPrompts, double lambda) =>
            images.Select(i => i.Pixels.Average(b => (double)b) / 255 + lambda).ToList();
    }

    [Fact]
    public void Writes_negatives_labels_checkpoints_rewards_and_the_best()
    {
        using var setup = new TinyPipelineSetup();
        var models = PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline);
        var generator = new NoiseImageGenerator();
        var options = new RpoRunOptions
        {
            ClassNoun = "dog",
            NegativesPerPrompt = 1,
            ValidationImages = 2,
            Training = TinyPipelineSetup.Options(steps: 4, valEvery: 2),
        };
        string output = Path.Combine(setup.Folder, "run");
        var reported = new List<int>();
        var result = RpoTrainingRun.Run(setup.Data.References, models, generator, generator, new LevelScorer(), options, output,
            scored: score => reported.Add(score.Step));

        Assert.Equal(8, NegativeSet.Load(Path.Combine(output, "negatives")).Images.Count);
        Assert.Equal(8, PreferenceRecord.Load(Path.Combine(output, "labels.json")).Pairs.Count);
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoints", "checkpoint-2", "unet")));
        Assert.True(Directory.Exists(Path.Combine(output, "checkpoints", "checkpoint-4", "unet")));
        Assert.Equal([2, 4], result.Scores.Select(s => s.Step));
        Assert.Equal([2, 4], reported);
        Assert.All(result.Scores, s => Assert.Equal(8, s.Prompts.Count));
        var best = result.Scores.OrderByDescending(s => s.MeanReward).ThenBy(s => s.Step).First();
        Assert.Equal(best.Step, result.Best.Step);
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(output, "best.json")));
        Assert.Equal(best.Step, doc.RootElement.GetProperty("step").GetInt32());
        Assert.Equal(8 + 2 * 8 * 2, generator.Calls);

        // Running again finds everything done: no new images, same best.
        var again = RpoTrainingRun.Run(setup.Data.References, PipelineTrainingModels.Load(TinyPipelineSetup.Pipeline),
            generator, generator, new LevelScorer(), options, output);
        Assert.Equal(8 + 2 * 8 * 2, generator.Calls);
        Assert.Equal(result.Best.Step, again.Best.Step);
    }
}
