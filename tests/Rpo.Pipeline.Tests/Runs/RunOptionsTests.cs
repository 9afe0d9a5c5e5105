using System.Text.Json;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Tests.Runs;

public sealed class RunOptionsTests
{
    [Fact]
    public void Defaults_are_the_papers_and_valid()
    {
        var options = RunOptions.Default;

        Assert.Equal((400, 40, 0.0, 0.3, 1.0, 5e-6, 16, 4), (options.Steps, options.ValEvery, options.LambdaTrain, options.LambdaVal, options.Beta, options.LearningRate, options.Negatives, options.ValImages));
        Assert.Null(options.LoraRank);
        Assert.Equal(0, options.Seed);
        Assert.Equal(RewardEncoder.Align, options.Encoder);
        Assert.False(options.PaperCompat);
        Assert.Empty(options.Validate());
        Assert.Same(options, options.EnsureValid());
    }

    [Fact]
    public void Every_problem_is_reported_at_once()
    {
        var options = new RunOptions(Steps: 0, ValEvery: 0, LambdaTrain: -0.1, LambdaVal: double.NaN, Beta: -1, LearningRate: 0, Negatives: 0, ValImages: 0, LoraRank: 0, Seed: -1, BaseModel: " ", Encoder: (RewardEncoder)7);

        var problems = options.Validate();
        var error = Assert.Throws<RunOptionsException>(() => options.EnsureValid());

        Assert.Equal(12, problems.Count);
        foreach (var name in new[] { "steps", "valEvery", "lambdaTrain", "lambdaVal", "beta", "learningRate", "negatives", "valImages", "loraRank", "seed", "baseModel", "encoder" })
        {
            Assert.Contains(problems, p => p.StartsWith(name + " ", StringComparison.Ordinal));
        }

        Assert.Equal(problems, error.Problems);
        Assert.Contains("steps must be at least 1", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_checkpoint_interval_longer_than_the_run_is_refused()
    {
        var problem = Assert.Single(new RunOptions(Steps: 30, ValEvery: 40).Validate());

        Assert.Contains("valEvery (40) must not exceed steps (30)", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Json_is_camel_case_with_lowercase_encoder_names()
    {
        var json = JsonSerializer.Serialize(RunOptions.Default with { Encoder = RewardEncoder.Clip, LoraRank = 8 }, RunJson.Options);

        Assert.Contains("\"valEvery\":40", json, StringComparison.Ordinal);
        Assert.Contains("\"encoder\":\"clip\"", json, StringComparison.Ordinal);
        Assert.Contains("\"loraRank\":8", json, StringComparison.Ordinal);
        Assert.Contains("\"paperCompat\":false", json, StringComparison.Ordinal);
        Assert.Equal(RunOptions.Default with { Encoder = RewardEncoder.Clip, LoraRank = 8 }, JsonSerializer.Deserialize<RunOptions>(json, RunJson.Options));
    }
}
