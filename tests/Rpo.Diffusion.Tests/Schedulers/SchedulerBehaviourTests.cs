using Rpo.Diffusion.Schedulers;
using Rpo.Tests.Shared;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Schedulers;

/// <summary>What the fixture cases do not pin down: config reading, spacings, from_config across classes, the
/// stochastic and higher-order paths, the training helpers.</summary>
public class SchedulerBehaviourTests
{
    static readonly SchedulerConfig Sd = new()
    {
        ClassName = "DDIMScheduler", BetaStart = 0.00085, BetaEnd = 0.012, BetaSchedule = BetaSchedule.ScaledLinear,
        StepsOffset = 1, SetAlphaToOne = false, ClipSample = false,
    };

    [Theory]
    [InlineData("ddpm", "DDPMScheduler", PredictionType.Epsilon)]
    [InlineData("ddim-v", "DDIMScheduler", PredictionType.VPrediction)]
    [InlineData("euler-epsilon", "EulerDiscreteScheduler", PredictionType.Epsilon)]
    [InlineData("dpmsolver-v", "DPMSolverMultistepScheduler", PredictionType.VPrediction)]
    public void Reads_every_fixture_config_and_builds_its_class(string folder, string className, PredictionType prediction)
    {
        var config = SchedulerConfig.Load(TestPaths.Fixture("schedulers", folder, "scheduler_config.json"));
        Assert.Equal(className, config.ClassName);
        Assert.Equal(BetaSchedule.ScaledLinear, config.BetaSchedule);
        Assert.Equal(prediction, config.PredictionType);
        var scheduler = SchedulerFactory.FromConfig(TestPaths.Fixture("schedulers", folder));
        Assert.Equal(className, scheduler.GetType().Name);
        Assert.Equal(1000, scheduler.AlphasCumprod.Count);
    }

    [Fact]
    public void Reads_the_dpmsolver_enums_and_bare_minus_infinity()
    {
        var config = SchedulerConfig.Load(TestPaths.Fixture("schedulers", "dpmsolver-epsilon", "scheduler_config.json"));
        Assert.Equal(AlgorithmType.DpmSolverPlusPlus, config.AlgorithmType);
        Assert.Equal(SolverType.Midpoint, config.SolverType);
        Assert.Equal(double.NegativeInfinity, config.LambdaMinClipped);
        Assert.Equal(TimestepSpacing.Linspace, config.TimestepSpacing);
        Assert.Null(config.VarianceType);
        Assert.Equal(VarianceType.FixedSmall, SchedulerConfig.Load(TestPaths.Fixture("schedulers", "ddpm", "scheduler_config.json")).VarianceType);
    }

    [Fact]
    public void Rejects_unknown_classes_and_values_clearly()
    {
        Assert.Throws<NotSupportedException>(() => SchedulerFactory.FromConfig(Sd with { ClassName = "PNDMScheduler" }));
        Assert.Throws<NotSupportedException>(() => new DDIMScheduler(Sd with { Thresholding = true }));
        Assert.ThrowsAny<Exception>(() => SchedulerConfig.Parse("""{"_class_name": "DDIMScheduler", "timestep_spacing": "karras"}"""));
        Assert.Throws<ArgumentException>(() => SchedulerFactory.ParseKind("lms"));
        Assert.Equal(SchedulerKind.DpmSolverPlusPlus, SchedulerFactory.ParseKind("dpmpp"));
    }

    [Theory]
    [InlineData(TimestepSpacing.Leading, new long[] { 901, 801, 701, 601, 501, 401, 301, 201, 101, 1 })]
    [InlineData(TimestepSpacing.Trailing, new long[] { 999, 899, 799, 699, 599, 499, 399, 299, 199, 99 })]
    [InlineData(TimestepSpacing.Linspace, new long[] { 999, 888, 777, 666, 555, 444, 333, 222, 111, 0 })]
    public void Ddim_spacings_follow_table_2_of_lin_et_al(TimestepSpacing spacing, long[] expected)
    {
        var ddim = new DDIMScheduler(Sd with { TimestepSpacing = spacing });
        ddim.SetTimesteps(10);
        Assert.Equal(expected.Select(t => (double)t), ddim.Timesteps);
        using var t = ddim.TimestepsTensor();
        Assert.Equal(ScalarType.Int64, t.dtype);
    }

    [Fact]
    public void Uneven_grids_round_like_numpy()
    {
        // 1000/3 steps: trailing rounds arange(1000, 0, -333.3) to 1000, 667, 333 before the −1; Euler keeps fractions.
        Assert.Equal([999L, 666, 332], TimestepGrid.Ddim(TimestepSpacing.Trailing, 1000, 3, 1));
        Assert.Equal([666L, 333, 0], TimestepGrid.Ddim(TimestepSpacing.Leading, 1000, 3, 0));
        Assert.Equal([999f, 749.25f, 499.5f, 249.75f, 0f], TimestepGrid.Euler(TimestepSpacing.Linspace, 1000, 5, 0));
        Assert.Equal([999L, 799, 599, 400, 200], TimestepGrid.DpmSolver(TimestepSpacing.Linspace, 1000, 1000, 5, 0));
    }

    [Fact]
    public void From_config_takes_the_keys_a_class_knows_and_its_own_defaults()
    {
        // diffusers' DPMSolverMultistepScheduler.from_config(ddim.config): leading spacing and steps_offset come along,
        // solver settings take DPM-Solver's defaults.
        var dpm = (DPMSolverMultistepScheduler)SchedulerFactory.Create(SchedulerKind.DpmSolverPlusPlus, Sd with { TimestepSpacing = TimestepSpacing.Leading });
        dpm.SetTimesteps(10);
        Assert.Equal([901.0, 811, 721, 631, 541, 451, 361, 271, 181, 91], dpm.Timesteps);
        Assert.Equal(11, dpm.Sigmas.Count);

        var euler = (EulerDiscreteScheduler)SchedulerFactory.Create(SchedulerKind.Euler, Sd with { TimestepSpacing = TimestepSpacing.Leading });
        euler.SetTimesteps(10);
        Assert.Equal(901.0, euler.Timesteps[0]);
        // Leading spacing starts below σ_max, so the initial noise is scaled by √(σ² + 1) (diffusers' convention).
        Assert.Equal(MathF.Sqrt(euler.Sigmas[0] * euler.Sigmas[0] + 1f), euler.InitNoiseSigma);
        Assert.Equal(0f, euler.Sigmas[^1]);
    }

    [Fact]
    public void Ddim_with_eta_draws_reproducible_noise_from_the_generator()
    {
        var sample = randn(1, 4, 8, 8, generator: new Generator(1));
        var output = randn(1, 4, 8, 8, generator: new Generator(2));
        Tensor Run(float eta, long seed)
        {
            var ddim = new DDIMScheduler(Sd) { Eta = eta };
            ddim.SetTimesteps(5);
            var gen = new Generator((ulong)seed);
            var x = sample;
            foreach (var t in ddim.Timesteps) x = ddim.Step(output, t, x, gen).PrevSample;
            return x;
        }
        Assert.True(Run(1f, 7).equal(Run(1f, 7)).all().item<bool>());
        Assert.False(Run(1f, 7).equal(Run(1f, 8)).all().item<bool>());
        Assert.True(Run(0f, 7).equal(Run(0f, 8)).all().item<bool>());
        Assert.False(Run(0f, 7).allclose(Run(1f, 7)));
    }

    [Fact]
    public void Ddpm_training_helpers_follow_the_forward_process()
    {
        var ddpm = new DDPMScheduler(Sd with { ClassName = "DDPMScheduler" });
        var x0 = randn(3, 4, 2, 2, generator: new Generator(3));
        var noise = randn(3, 4, 2, 2, generator: new Generator(4));
        var t = tensor(new long[] { 0, 500, 999 });
        var noisy = ddpm.AddNoise(x0, noise, t);
        for (int i = 0; i < 3; i++)
        {
            float a = ddpm.AlphasCumprod[(int)t[i].item<long>()];
            var manual = x0[i] * MathF.Sqrt(a) + noise[i] * MathF.Sqrt(1 - a);
            Assert.True(noisy[i].allclose(manual, rtol: 1e-6, atol: 1e-6));
        }
        Assert.True(ddpm.TrainingTarget(x0, noise, t).equal(noise).all().item<bool>());
        var vDdpm = new DDPMScheduler(Sd with { PredictionType = PredictionType.VPrediction });
        Assert.True(vDdpm.TrainingTarget(x0, noise, t).equal(vDdpm.GetVelocity(x0, noise, t)).all().item<bool>());
        Assert.True(new DDPMScheduler(Sd with { PredictionType = PredictionType.Sample }).TrainingTarget(x0, noise, t).equal(x0).all().item<bool>());
        // x_t = √ᾱ x0 + √(1−ᾱ) ε and v = √ᾱ ε − √(1−ᾱ) x0 recover x0 = √ᾱ x_t − √(1−ᾱ) v.
        var v = vDdpm.GetVelocity(x0, noise, t);
        var acp = tensor(vDdpm.AlphasCumprod.ToArray()).index_select(0, t).reshape(-1, 1, 1, 1);
        Assert.True((acp.sqrt() * noisy - (1 - acp).sqrt() * v).allclose(x0, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Ddpm_sampling_step_is_seeded_and_noise_free_at_t0()
    {
        var ddpm = new DDPMScheduler(Sd with { ClassName = "DDPMScheduler" });
        ddpm.SetTimesteps(10);
        var x = randn(1, 4, 4, 4, generator: new Generator(5));
        var eps = randn(1, 4, 4, 4, generator: new Generator(6));
        var a = ddpm.Step(eps, 501, x, new Generator(9)).PrevSample;
        var b = ddpm.Step(eps, 501, x, new Generator(9)).PrevSample;
        Assert.True(a.equal(b).all().item<bool>());
        var last = ddpm.Step(eps, 1, x, new Generator(9));
        Assert.True(last.PrevSample.isfinite().all().item<bool>());
        Assert.NotNull(last.PredOriginalSample);
    }

    [Theory]
    [InlineData(1, SolverType.Midpoint, AlgorithmType.DpmSolverPlusPlus)]
    [InlineData(2, SolverType.Heun, AlgorithmType.DpmSolverPlusPlus)]
    [InlineData(3, SolverType.Midpoint, AlgorithmType.DpmSolverPlusPlus)]
    [InlineData(3, SolverType.Midpoint, AlgorithmType.DpmSolver)]
    [InlineData(2, SolverType.Midpoint, AlgorithmType.SdeDpmSolverPlusPlus)]
    [InlineData(2, SolverType.Heun, AlgorithmType.SdeDpmSolver)]
    public void Dpm_solver_variants_run_and_restart_cleanly(int order, SolverType solver, AlgorithmType algorithm)
    {
        var dpm = new DPMSolverMultistepScheduler(Sd with
        {
            SolverOrder = order, SolverType = solver, AlgorithmType = algorithm, TimestepSpacing = TimestepSpacing.Linspace,
            FinalSigmasType = algorithm is AlgorithmType.DpmSolver or AlgorithmType.SdeDpmSolver ? FinalSigmasType.SigmaMin : null,
        });
        var start = randn(1, 4, 4, 4, generator: new Generator(10));
        Tensor Run()
        {
            dpm.SetTimesteps(20);
            var gen = new Generator(11);
            var x = start;
            int i = 0;
            foreach (var t in dpm.Timesteps)
                x = dpm.Step(randn(1, 4, 4, 4, generator: new Generator((ulong)(100 + i++))), t, x, gen).PrevSample;
            return x;
        }
        var first = Run();
        Assert.True(first.isfinite().all().item<bool>());
        Assert.True(first.equal(Run()).all().item<bool>());
    }

    [Fact]
    public void Dpm_solver_with_a_zero_final_sigma_lands_on_the_data_prediction()
    {
        var dpm = new DPMSolverMultistepScheduler(Sd with { FinalSigmasType = FinalSigmasType.Zero, TimestepSpacing = TimestepSpacing.Linspace });
        dpm.SetTimesteps(20);
        Assert.Equal(0f, dpm.Sigmas[^1]);
        var x = randn(1, 4, 4, 4, generator: new Generator(12));
        var eps = randn(1, 4, 4, 4, generator: new Generator(13));
        for (int i = 0; i < dpm.Timesteps.Count - 1; i++) x = dpm.Step(eps, dpm.Timesteps[i], x).PrevSample;
        // Last step, σ → 0: x_0 = x̂_0 = (x − σ ε)/α for the last σ.
        float sigma = dpm.Sigmas[^2], alpha = 1f / MathF.Sqrt(sigma * sigma + 1f);
        var expected = (x - eps * (sigma * alpha)) / alpha;
        var last = dpm.Step(eps, dpm.Timesteps[^1], x).PrevSample;
        Assert.True(last.allclose(expected, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void Karras_sigmas_run_from_sigma_max_to_sigma_min()
    {
        var euler = new EulerDiscreteScheduler(Sd with { UseKarrasSigmas = true, TimestepSpacing = TimestepSpacing.Linspace });
        euler.SetTimesteps(12);
        var sigmas = euler.Sigmas;
        Assert.Equal(13, sigmas.Count);
        Assert.Equal(14.6146, sigmas[0], 3);
        Assert.Equal(0.0292, sigmas[^2], 4);
        Assert.All(Enumerable.Range(1, sigmas.Count - 1), i => Assert.True(sigmas[i] < sigmas[i - 1]));
        Assert.Equal(999.0, euler.Timesteps[0], 3);
        Assert.Equal(0.0, euler.Timesteps[^1], 3);

        var dpm = new DPMSolverMultistepScheduler(Sd with { UseKarrasSigmas = true, TimestepSpacing = TimestepSpacing.Linspace });
        dpm.SetTimesteps(12);
        Assert.Equal(999.0, dpm.Timesteps[0]);
        Assert.Equal(0.0, dpm.Timesteps[^1]);
        Assert.Equal(dpm.Sigmas[^2], dpm.Sigmas[^1]);
    }

    [Fact]
    public void Zero_terminal_snr_ends_at_alpha_bar_zero()
    {
        var ddim = new DDIMScheduler(Sd with { RescaleBetasZeroSnr = true });
        Assert.Equal(0f, ddim.AlphasCumprod[^1]);
        Assert.Equal(new DDIMScheduler(Sd).AlphasCumprod[0], ddim.AlphasCumprod[0], 6);
        var euler = new EulerDiscreteScheduler(Sd with { RescaleBetasZeroSnr = true });
        Assert.True(float.IsFinite(euler.InitNoiseSigma));
    }

    [Fact]
    public void Sleef_exp_stays_within_an_ulp_of_the_correctly_rounded_value()
    {
        for (float x = -20f; x < 20f; x += 0.0137f)
        {
            float got = SleefF32.Exp(x), exact = (float)Math.Exp(x);
            int ulps = Math.Abs(BitConverter.SingleToInt32Bits(got) - BitConverter.SingleToInt32Bits(exact));
            Assert.True(ulps <= 1, $"exp({x}) = {got}, expected {exact}");
        }
        Assert.Equal(1f, SleefF32.Exp(0f));
        Assert.Equal(0f, SleefF32.Exp(-200f));
        Assert.Equal(float.PositiveInfinity, SleefF32.Exp(200f));
    }

    [Fact]
    public void Float32_linspace_keeps_both_ends_exact()
    {
        var l = NoiseSchedule.LinspaceFloat32(0.1, 0.7, 37);
        Assert.Equal(0.1f, l[0]);
        Assert.Equal(0.7f, l[^1]);
        Assert.All(Enumerable.Range(1, l.Length - 1), i => Assert.True(l[i] > l[i - 1]));
    }
}
