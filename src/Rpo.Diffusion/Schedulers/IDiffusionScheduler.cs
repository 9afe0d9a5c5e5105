using static TorchSharp.torch;

namespace Rpo.Diffusion.Schedulers;

/// <summary>
/// An inference sampler over a trained noise schedule, used the diffusers way: <see cref="SetTimesteps"/>, then for each
/// t in <see cref="Timesteps"/>: model input = <see cref="ScaleModelInput"/>(x, t), x = <see cref="Step"/>(model output, t, x).
/// Initial noise is N(0, I)·<see cref="InitNoiseSigma"/>. Stateful (step counter, solver history): one run at a time;
/// call <see cref="SetTimesteps"/> again before the next run.
/// </summary>
public interface IDiffusionScheduler
{
    SchedulerConfig Config { get; }
    PredictionType PredictionType { get; }
    int NumTrainTimesteps { get; }
    IReadOnlyList<float> Betas { get; }
    IReadOnlyList<float> AlphasCumprod { get; }

    void SetTimesteps(int numInferenceSteps);

    /// <summary>The timesteps after <see cref="SetTimesteps"/>, as values (integral for DDIM/DPM-Solver, float32 values for Euler).</summary>
    IReadOnlyList<double> Timesteps { get; }

    /// <summary>The dtype diffusers gives <c>scheduler.timesteps</c> (int64, or float32 for Euler), which the UNet receives.</summary>
    ScalarType TimestepDtype { get; }

    float InitNoiseSigma { get; }

    /// <summary>The model input for timestep t (Euler divides by √(σ²+1); the others return the sample).</summary>
    Tensor ScaleModelInput(Tensor sample, double timestep);

    /// <summary>One reverse step from t. <paramref name="generator"/> feeds stochastic variants (DDIM η &gt; 0, DDPM, SDE
    /// solvers, Euler with churn); deterministic ones ignore it.</summary>
    SchedulerStepOutput Step(Tensor modelOutput, double timestep, Tensor sample, Generator? generator = null);
}

/// <summary>x_{t−1} and, where the scheduler defines it, the predicted x̂_0 at this step.</summary>
public sealed record SchedulerStepOutput(Tensor PrevSample, Tensor? PredOriginalSample);

public static class DiffusionSchedulerExtensions
{
    /// <summary>A new tensor of <see cref="IDiffusionScheduler.Timesteps"/> in <see cref="IDiffusionScheduler.TimestepDtype"/>
    /// (what diffusers' <c>scheduler.timesteps</c> holds); the caller owns it.</summary>
    public static Tensor TimestepsTensor(this IDiffusionScheduler scheduler, Device? device = null) =>
        scheduler.TimestepDtype == ScalarType.Int64
            ? tensor(scheduler.Timesteps.Select(t => (long)t).ToArray(), device: device)
            : tensor(scheduler.Timesteps.Select(t => (float)t).ToArray(), device: device);
}
