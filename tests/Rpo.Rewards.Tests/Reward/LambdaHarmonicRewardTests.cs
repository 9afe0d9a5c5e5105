using static TorchSharp.torch;

namespace Rpo.Rewards.Tests.Reward;

/// <summary>The reward's arithmetic on hand-made feature vectors; expected values worked out by hand.</summary>
public class LambdaHarmonicRewardTests
{
    // References along the two axes; images (1, 0), (-1, 0), (3, 4): mean cosines 0.5, -0.5, 0.7.
    static Tensor References() => tensor(new float[] { 1, 0, 0, 1 }, [2, 2]);
    static Tensor Images() => tensor(new float[] { 1, 0, -1, 0, 3, 4 }, [3, 2]);
    // Text j pairs with image j: cosines 0, 1, 0 (length does not matter).
    static Tensor Texts() => tensor(new float[] { 0, 1, -2, 0, 4, -3 }, [3, 2]);

    [Fact]
    public void S_img_is_the_mean_reference_cosine_mapped_to_0_1()
    {
        using var sImg = LambdaHarmonicReward.ImageScore(References(), Images());
        Assert.Equal(new[] { 0.75f, 0.25f, 0.85f }, sImg.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Cosine_matrix_is_references_by_images()
    {
        using var cos = LambdaHarmonicReward.CosineMatrix(References(), Images());
        Assert.Equal([2, 3], cos.shape);
        Assert.Equal(new[] { 1f, -1f, 0.6f, 0f, 0f, 0.8f }, cos.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void S_txt_pairs_text_j_with_image_j()
    {
        using var sTxt = LambdaHarmonicReward.TextScore(Texts(), Images());
        Assert.Equal(new[] { 0.5f, 1f, 0.5f }, sTxt.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Harmonic_mix_weights_the_reciprocals()
    {
        using var sImg = tensor(new[] { 0.75f, 0.25f, 0.85f });
        using var sTxt = tensor(new[] { 0.5f, 1f, 0.5f });
        // λ = 0.5: 1 / (0.5/0.75 + 0.5/0.5) = 0.6; 1 / (0.5/0.25 + 0.5/1) = 0.4; 0.85·0.5·2 / 1.35 = 0.6296296.
        using var half = LambdaHarmonicReward.Combine(sImg, sTxt, 0.5);
        Assert.Equal(new[] { 0.6f, 0.4f, 0.6296296f }, half.data<float>().ToArray(), new FloatTolerance(1e-6f));
        // λ = 0.3 on the first: 1 / (0.3/0.75 + 0.7/0.5) = 1 / 1.8.
        using var low = LambdaHarmonicReward.Combine(sImg, sTxt, 0.3);
        Assert.Equal(1 / 1.8f, low.data<float>()[0], 1e-6f);
    }

    [Fact]
    public void Lambda_0_and_1_return_the_scores_themselves()
    {
        using var sImg = tensor(new[] { 0.75f, 0.123456789f });
        using var sTxt = tensor(new[] { 0.5f, 0.987654321f });
        using var zero = LambdaHarmonicReward.Combine(sImg, sTxt, 0);
        using var one = LambdaHarmonicReward.Combine(sImg, sTxt, 1);
        Assert.Equal(sTxt.data<float>().ToArray(), zero.data<float>().ToArray());
        Assert.Equal(sImg.data<float>().ToArray(), one.data<float>().ToArray());
    }

    [Fact]
    public void A_zero_score_stays_finite_through_the_stabiliser()
    {
        using var sImg = tensor(new[] { 0f });
        using var sTxt = tensor(new[] { 0.5f });
        using var r = LambdaHarmonicReward.Combine(sImg, sTxt, 0.5);
        // 1 / (0.5 / 1e-8 + 1): about 2e-8, not NaN or infinity.
        Assert.InRange(r.data<float>()[0], 1.9e-8f, 2.1e-8f);
    }

    [Fact]
    public void A_zero_feature_vector_has_cosine_0()
    {
        using var sImg = LambdaHarmonicReward.ImageScore(References(), zeros(1, 2));
        Assert.Equal(0.5f, sImg.data<float>()[0]);
    }

    [Theory]
    [InlineData(-0.1)]
    [InlineData(1.5)]
    [InlineData(double.NaN)]
    public void Lambda_outside_0_1_is_refused(double lambda)
    {
        using var s = tensor(new[] { 0.5f });
        Assert.Throws<ArgumentOutOfRangeException>(() => LambdaHarmonicReward.Combine(s, s, lambda));
    }

    [Fact]
    public void Preference_probability_is_the_sigmoid_of_the_reward_gap()
    {
        using var reference = tensor(new[] { 0.75f, 0.5f });
        using var generated = tensor(new[] { 0.25f, 0.5f });
        using var p = LambdaHarmonicReward.PreferenceProbability(reference, generated);
        Assert.Equal(new[] { 0.62245933f, 0.5f }, p.data<float>().ToArray(), new FloatTolerance(1e-6f));
    }

    [Fact]
    public void Pairs_take_reference_j_mod_n_scored_against_all_references_and_prompt_j()
    {
        using var texts = tensor(new float[] { 1, 0, 1, 0, 1, 1 }, [3, 2]);
        var (index, sImg, sTxt) = LambdaHarmonicReward.PairReferenceScores(References(), texts);
        Assert.Equal(new long[] { 0, 1, 0 }, index.data<long>().ToArray());
        // Each reference: cos 1 with itself, 0 with the other -> (0.5 + 1) / 2.
        Assert.Equal(new[] { 0.75f, 0.75f, 0.75f }, sImg.data<float>().ToArray(), new FloatTolerance(1e-6f));
        // (1,0)·(1,0) = 1; (1,0)·(0,1) = 0; (1,1)·(1,0) = 1/√2.
        Assert.Equal(new[] { 1f, 0.5f, 0.85355339f }, sTxt.data<float>().ToArray(), new FloatTolerance(1e-6f));
        Assert.Equal(2, LambdaHarmonicReward.PairedReference(5, 3));
    }

    sealed class FloatTolerance(float tolerance) : IEqualityComparer<float>
    {
        public bool Equals(float x, float y) => Math.Abs(x - y) <= tolerance;
        public int GetHashCode(float obj) => 0;
    }
}
