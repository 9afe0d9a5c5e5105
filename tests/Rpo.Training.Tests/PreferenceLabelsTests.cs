using Rpo.Diffusion.Imaging;
using Rpo.Training.Negatives;
using Rpo.Training.Preferences;
using Rpo.Training.Prompts;

namespace Rpo.Training.Tests;

public class PreferenceLabelsTests
{
    /// <summary>A stand-in for R_λ until the rewards component lands: the image's mean level in [0, 1]; it records prompts.</summary>
    sealed class BrightnessScorer : IRewardScorer
    {
        public List<string> Prompts { get; } = [];
        public IReadOnlyList<double> Score(IReadOnlyList<RgbImage> images, IReadOnlyList<string> textPrompts, double lambda)
        {
            Prompts.AddRange(textPrompts);
            return images.Select(i => i.Pixels.Average(b => (double)b) / 255).ToList();
        }
    }

    static RgbImage Solid(byte level, int size = 4)
    {
        var img = new RgbImage(size, size);
        Array.Fill(img.Pixels, level);
        return img;
    }

    [Fact]
    public void Pairs_reference_j_mod_n_and_draws_reproducible_labels()
    {
        var references = new[] { Solid(255), Solid(0), Solid(128) };
        var prompts = TrainingPrompts.Training("dog");
        var negatives = Enumerable.Range(0, 16).Select(j => new LabeledNegative(Solid((byte)(j * 16)), j / 2, prompts[j / 2])).ToList();
        var scorer = new BrightnessScorer();
        var record = PreferenceLabels.Build(references, negatives, scorer, lambda: 0, seed: 5);
        Assert.Equal(16, record.Pairs.Count);
        for (int j = 0; j < 16; j++)
        {
            var p = record.Pairs[j];
            Assert.Equal(j % 3, p.ReferenceIndex);
            Assert.Equal(references[j % 3].Pixels[0] / 255.0, p.ReferenceReward, 5);
            Assert.Equal(j * 16 / 255.0, p.GeneratedReward, 5);
            Assert.Equal(1 / (1 + Math.Exp(-(p.ReferenceReward - p.GeneratedReward))), p.Probability, 5);
            Assert.InRange(p.Label, 0, 1);
            Assert.DoesNotContain("[V]", p.TextPrompt);
        }
        Assert.All(scorer.Prompts, p => Assert.DoesNotContain("[V]", p));
        var again = PreferenceLabels.Build(references, negatives, new BrightnessScorer(), lambda: 0, seed: 5);
        Assert.Equal(record.Pairs.Select(p => p.Label), again.Pairs.Select(p => p.Label));

        var compatible = new BrightnessScorer();
        PreferenceLabels.Build(references, negatives, compatible, lambda: 0, seed: 5, referenceCompatibleTextPrompts: true);
        Assert.All(compatible.Prompts, p => Assert.Contains("[V]", p));
    }

    [Fact]
    public void Label_frequency_follows_the_probability()
    {
        var references = new[] { Solid(200) };
        var negatives = Enumerable.Range(0, 4000).Select(_ => new LabeledNegative(Solid(0), 0, "a [V] dog")).ToList();
        var record = PreferenceLabels.Build(references, negatives, new BrightnessScorer(), lambda: 0.3, seed: 1);
        double p = 1 / (1 + Math.Exp(-200 / 255.0));
        double freq = record.Pairs.Average(x => x.Label);
        Assert.InRange(freq, p - 0.03, p + 0.03); // ~4σ of a binomial with n = 4000
        Assert.NotEqual(record.Pairs.Select(x => x.Label),
            PreferenceLabels.Build(references, negatives, new BrightnessScorer(), 0.3, seed: 2).Pairs.Select(x => x.Label));
    }

    [Fact]
    public void Record_round_trips_through_json()
    {
        var record = PreferenceLabels.Build([Solid(10), Solid(90)],
            [new LabeledNegative(Solid(50), 0, "a [V] dog on the Moon"), new LabeledNegative(Solid(70), 1, "a green [V] dog")],
            new BrightnessScorer(), lambda: 0, seed: 3);
        string path = Path.Combine(Path.GetTempPath(), $"rpo-labels-{Guid.NewGuid():N}.json");
        try
        {
            record.Save(path);
            Assert.Contains("\"reference_reward\"", File.ReadAllText(path));
            var back = PreferenceRecord.Load(path);
            Assert.Equal(record.Pairs, back.Pairs);
            Assert.Equal(record.Lambda, back.Lambda);
        }
        finally { File.Delete(path); }
    }

    sealed class SeedColourGenerator : IImageGenerator
    {
        public RgbImage Generate(string prompt, long seed) => Solid((byte)(seed * 7 + prompt.Length), 8);
    }

    [Fact]
    public void Negatives_are_written_with_prompt_and_seed()
    {
        string folder = Path.Combine(Path.GetTempPath(), $"rpo-neg-{Guid.NewGuid():N}");
        try
        {
            var prompts = TrainingPrompts.Training("backpack");
            var set = NegativeSet.Generate(new SeedColourGenerator(), prompts, perPrompt: 2, seed: 100, folder);
            Assert.Equal(16, set.Images.Count);
            Assert.Equal(16, set.Images.Select(i => i.Seed).Distinct().Count());
            var loaded = NegativeSet.Load(folder);
            Assert.Equal(set.Images, loaded.Images);
            var read = loaded.Read(folder);
            Assert.Equal(prompts[3], read[6].Prompt);
            Assert.Equal(new SeedColourGenerator().Generate(prompts[3], 106).Pixels, read[6].Image.Pixels);
        }
        finally { if (Directory.Exists(folder)) Directory.Delete(folder, true); }
    }
}
