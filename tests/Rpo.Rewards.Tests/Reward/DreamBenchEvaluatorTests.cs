using Rpo.Diffusion.Parity;
using Rpo.Rewards.Metrics;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Rewards.Tests.Reward;

public class DreamBenchEvaluatorTests
{
    [Fact]
    public void Evaluate_from_files_in_paper_compat_gives_the_case_scores()
    {
        string folder = TestPaths.Fixture("metrics-dreambench-tiny");
        using var fixture = FixtureCase.Load(folder);
        using var evaluator = DreamBenchEvaluator.FromPretrained(Path.Combine(folder, "clip"), Path.Combine(folder, "dino"), new PromptText(PaperCompat: true));
        var scores = evaluator.Evaluate(FixtureImages.Files(fixture, "reference"), FixtureImages.Files(fixture, "generated"), FixtureImages.Strings(fixture, "prompts"));
        Assert.Equal(3, scores.ReferenceCount);
        Assert.Equal(4, scores.GeneratedCount);
        Parity.AssertClose(fixture, "DINO_score", tensor(new[] { (float)scores.Dino }));
        Parity.AssertClose(fixture, "CLIP_I_score", tensor(new[] { (float)scores.ClipI }));
        Parity.AssertClose(fixture, "CLIP_T_score", tensor(new[] { (float)scores.ClipT }));
    }

    [Fact]
    public void Clip_t_clamps_the_mean_not_each_pair()
    {
        // Per-pair 100·cos of +30 and -10: mean 10 -> 0.1 (clamping each pair first would give 0.15).
        using var perImage = tensor(new[] { 30f, -10f });
        Assert.Equal(0.1, DreamBenchMetrics.ClipT(perImage), 6);
        using var negative = tensor(new[] { -30f, 10f });
        Assert.Equal(0.0, DreamBenchMetrics.ClipT(negative));
    }

    [Fact]
    public void Clip_score_per_image_is_100_times_the_cosine()
    {
        using var img = tensor(new float[] { 3, 4, 1, 0 }, [2, 2]);
        using var txt = tensor(new float[] { 4, 3, 0, 2 }, [2, 2]);
        using var s = DreamBenchMetrics.ClipScorePerImage(img, txt);
        Assert.Equal(96f, s.data<float>()[0], 1e-4f);   // (12 + 12) / 25
        Assert.Equal(0f, s.data<float>()[1], 1e-6f);
    }

    [Fact]
    public void Pair_cosines_average_over_every_reference_generated_pair()
    {
        using var refs = tensor(new float[] { 1, 0, 0, 2 }, [2, 2]);
        using var gens = tensor(new float[] { 1, 1, 5, 0, 0, -1 }, [3, 2]);
        using var m = DreamBenchMetrics.CosineMatrix(refs, gens);
        Assert.Equal([2, 3], m.shape);
        // Rows: (1/√2, 1, 0) and (1/√2, 0, -1); mean = (2/√2) / 6.
        Assert.Equal(Math.Sqrt(2) / 6, DreamBenchMetrics.MeanOfPairs(m), 6);
    }
}
