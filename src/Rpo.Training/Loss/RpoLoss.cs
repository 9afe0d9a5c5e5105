using Rpo.Diffusion.Schedulers;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Loss;

/// <summary>The loss of one batch and the terms it is made of (all owned by the caller's dispose scope).</summary>
/// <param name="Loss">Scalar: preference term + β · reference term; the only one that carries gradients to θ.</param>
/// <param name="Delta">Per pair: Δ = (ℓφ_ref − ℓθ_ref) − (ℓφ_gen − ℓθ_gen).</param>
/// <param name="PreferenceLoss">Scalar: −mean[l·log σ(Δ) + (1−l)·log σ(−Δ)].</param>
/// <param name="ReferenceLoss">Scalar: mean(ℓθ_ref), before β.</param>
public sealed record RpoLossTerms(Tensor Loss, Tensor Delta, Tensor PreferenceLoss, Tensor ReferenceLoss);

/// <summary>
/// Step 4 of RPO (Miao et al. 2024, eq. for L_RPO): per-sample diffusion MSEs of the trained UNet θ and its frozen copy φ
/// on the reference half and the generated half of a batch, combined through a logistic preference loss plus β times
/// the trained model's reference loss. The public code adds the reference term with weight 1 whatever <c>--beta</c>
/// says; here β weights it.
/// </summary>
public static class RpoLoss
{
    /// <summary>mean over every dimension but the batch of (prediction − target)², in float32: [B].</summary>
    public static Tensor PerSampleMse(Tensor prediction, Tensor target)
    {
        if (!prediction.shape.SequenceEqual(target.shape))
            throw new ArgumentException($"prediction [{string.Join(", ", prediction.shape)}] and target [{string.Join(", ", target.shape)}] differ in shape.");
        using var scope = NewDisposeScope();
        var diff = prediction.to_type(ScalarType.Float32) - target.to_type(ScalarType.Float32);
        var dims = Enumerable.Range(1, (int)prediction.dim() - 1).Select(d => (long)d).ToArray();
        return diff.square().mean(dims).MoveToOuterDisposeScope();
    }

    /// <summary>
    /// The loss from per-sample losses. ℓφ terms are detached here: the frozen model never receives gradients, even
    /// when a caller forgets no_grad. <paramref name="labels"/> is 1 where the reference image is preferred.
    /// </summary>
    public static RpoLossTerms Compute(Tensor thetaRef, Tensor thetaGen, Tensor phiRef, Tensor phiGen, Tensor labels, double beta)
    {
        using var scope = NewDisposeScope();
        var l = labels.to_type(ScalarType.Float32).reshape(thetaRef.shape);
        var delta = (phiRef.detach() - thetaRef) - (phiGen.detach() - thetaGen);
        var preference = -(l * nn.functional.logsigmoid(delta) + (1 - l) * nn.functional.logsigmoid(-delta)).mean();
        var reference = thetaRef.mean();
        var loss = preference + beta * reference;
        var terms = new RpoLossTerms(loss, delta, preference, reference);
        terms.Loss.MoveToOuterDisposeScope();
        terms.Delta.MoveToOuterDisposeScope();
        terms.PreferenceLoss.MoveToOuterDisposeScope();
        terms.ReferenceLoss.MoveToOuterDisposeScope();
        return terms;
    }

    /// <summary>
    /// The full step-4 forward for a batch laid out as the reference code does: the first half reference images under
    /// the reference prompt, the second half generated images under their training prompts (pair i = rows i and B+i).
    /// The target is ε or v by the scheduler's prediction type; a learned-variance output (twice the latent channels)
    /// keeps its first half, as the reference does.
    /// </summary>
    /// <param name="trained">θ: (x_t, t, text) → prediction.</param>
    /// <param name="frozen">φ: same signature; called under no_grad.</param>
    public static RpoLossTerms FromModels(
        Func<Tensor, Tensor, Tensor, Tensor> trained, Func<Tensor, Tensor, Tensor, Tensor> frozen, DDPMScheduler scheduler,
        Tensor latents, Tensor noise, Tensor timesteps, Tensor encoderHiddenStates, Tensor labels, double beta)
    {
        if (latents.shape[0] % 2 != 0) throw new ArgumentException("the batch must hold reference rows then generated rows (an even count).");
        using var scope = NewDisposeScope();
        var noisy = scheduler.AddNoise(latents, noise, timesteps);
        var target = scheduler.TrainingTarget(latents, noise, timesteps);

        var thetaLosses = PerSampleMse(KeepPrediction(trained(noisy, timesteps, encoderHiddenStates), latents), target);
        Tensor phiLosses;
        using (no_grad())
            phiLosses = PerSampleMse(KeepPrediction(frozen(noisy, timesteps, encoderHiddenStates), latents), target);

        var theta = thetaLosses.chunk(2);
        var phi = phiLosses.chunk(2);
        var terms = Compute(theta[0], theta[1], phi[0], phi[1], labels, beta);
        terms.Loss.MoveToOuterDisposeScope();
        terms.Delta.MoveToOuterDisposeScope();
        terms.PreferenceLoss.MoveToOuterDisposeScope();
        terms.ReferenceLoss.MoveToOuterDisposeScope();
        return terms;
    }

    static Tensor KeepPrediction(Tensor prediction, Tensor latents) =>
        prediction.shape[1] == 2 * latents.shape[1] ? prediction.chunk(2, 1)[0] : prediction;
}
