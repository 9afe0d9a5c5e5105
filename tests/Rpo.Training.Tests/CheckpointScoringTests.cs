using Rpo.Diffusion.Imaging;
using Rpo.Training.Negatives;
using Rpo.Training.Preferences;
using Rpo.Training.Prompts;
using Rpo.Training.Validation;

namespace Rpo.Training.Tests;

public class CheckpointScoringTests
{
    sealed class LevelGenerator(int offset) : IImageGenerator
    {
        public List<(string Prompt, long Seed)> Calls { get; } = [];
        public RgbImage Generate(string prompt, long seed)
        {
            Calls.Add((prompt, seed));
            var img = new RgbImage(4, 4);
            Array.Fill(img.Pixels, (byte)(offset + seed));
            return img;
        }
    }

    sealed class LevelScorer : IRewardScorer
    {
        public List<string> Prompts { get; } = [];
        public IReadOnlyList<double> Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> textPrompts, double lambda)
        {
            Prompts.AddRange(textPrompts);
            return images.Select(i => i.Pixels[0] * lambda).ToList();
        }
    }

    [Fact]
    public void Mean_of_per_prompt_means_on_fixed_seeds()
    {
        var prompts = TrainingPrompts.Training("dog");
        var generator = new LevelGenerator(0);
        var scorer = new LevelScorer();
        var score = CheckpointScoring.Score(40, generator, scorer, prompts, imagesPerPrompt: 4, lambda: 0.5, seed: 10);
        Assert.Equal(32, generator.Calls.Count);
        Assert.Equal(Enumerable.Range(10, 32).Select(s => (long)s), generator.Calls.Select(c => c.Seed));
        Assert.All(scorer.Prompts, p => Assert.DoesNotContain("[V]", p));
        Assert.Equal(8, score.Prompts.Count);
        Assert.Equal((10 + 11 + 12 + 13) / 4.0 * 0.5, score.Prompts[0].Mean, 9);
        Assert.Equal(Enumerable.Range(10, 32).Average() * 0.5, score.MeanReward, 9);
    }

    [Fact]
    public void Best_is_the_maximum_and_ties_go_to_the_earlier_step()
    {
        var s = (int step, double r) => new CheckpointScore(step, r, []);
        Assert.Equal(80, CheckpointScoring.Best([s(40, 0.3), s(80, 0.5), s(120, 0.4)]).Step);
        Assert.Equal(40, CheckpointScoring.Best([s(120, 0.5), s(40, 0.5), s(80, 0.2)]).Step);
    }
}
