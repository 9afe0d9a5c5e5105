using Rpo.Diffusion.Configs;
using Rpo.Diffusion.Parity;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Parity;

public class InfrastructureTests
{
    sealed record SchedulerBits(string ClassName, double LambdaMinClipped, int NumTrainTimesteps, string? TimestepSpacing);

    [Fact]
    public void ConfigJson_reads_snake_case_and_bare_infinity()
    {
        var c = ConfigJson.Parse<SchedulerBits>("""{"class_name": "X", "lambda_min_clipped": -Infinity, "num_train_timesteps": 1000, "note": "Infinity stays text"}""");
        Assert.Equal(double.NegativeInfinity, c.LambdaMinClipped);
        Assert.Equal(1000, c.NumTrainTimesteps);
        Assert.Null(c.TimestepSpacing);
        Assert.Equal("""{"a": "NaN is text", "b": "-Infinity"}""", ConfigJson.QuoteBareFloatLiterals("""{"a": "NaN is text", "b": -Infinity}"""));
    }

    [Fact]
    public void ConfigJson_reads_the_dpmsolver_fixture_config()
    {
        var c = ConfigJson.Load<SchedulerBits>(TestPaths.Fixture("schedulers", "dpmsolver-epsilon", "scheduler_config.json"));
        Assert.Equal(double.NegativeInfinity, c.LambdaMinClipped);
    }

    [Fact]
    public void FixtureCase_splits_inputs_and_outputs_and_reads_tolerances()
    {
        using var c = FixtureCase.Load(TestPaths.Fixture("schedulers", "euler-v"));
        Assert.Equal("diffusers.EulerDiscreteScheduler", c.ModelClass);
        Assert.Contains("sample", c.Inputs.Keys);
        Assert.Contains("prev_sample", c.Outputs.Keys);
        Assert.Equal(1e-6, c.AtolFor("alphas_cumprod"));
        Assert.Equal(1e-4, c.AtolFor("prev_sample"));   // all_float_outputs
        Assert.Equal(0, c.AtolFor("timesteps"));        // "exact"
    }

    [Fact]
    public void Comparison_applies_atol_plus_rtol_and_exact_integers()
    {
        var expected = tensor(new[] { 1f, 100f });
        Assert.True(TensorComparison.Compare("x", tensor(new[] { 1.00001f, 100.009f }), expected, atol: 1e-5).Pass);
        Assert.False(TensorComparison.Compare("x", tensor(new[] { 1.0002f, 100f }), expected, atol: 1e-5).Pass);
        Assert.False(TensorComparison.Compare("ids", tensor(new long[] { 1, 3 }), tensor(new long[] { 1, 2 }), atol: 1).Pass);
        Assert.False(TensorComparison.Compare("nan", tensor(new[] { float.NaN, 100f }), expected, atol: 1).Pass);
        Assert.False(TensorComparison.Compare("shape", zeros(3), expected, atol: 1).Pass);
    }
}
