using Rpo.Diffusion.Schedulers;
using Rpo.Training.Loss;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

public class RpoLossTests
{
    static Tensor T(params float[] v) => tensor(v);

    static double Softplus(double x) => Math.Log(1 + Math.Exp(x));

    [Fact]
    public void Per_sample_mse_averages_all_but_the_batch()
    {
        using var scope = NewDisposeScope();
        var pred = tensor(new float[] { 1, 2, 3, 4, 0, 0, 0, 0 }).reshape(2, 1, 2, 2);
        var target = zeros(2, 1, 2, 2);
        var mse = RpoLoss.PerSampleMse(pred, target);
        Assert.Equal(new[] { 7.5f, 0f }, mse.data<float>().ToArray());
    }

    [Fact]
    public void Hand_computed_loss_for_both_labels()
    {
        using var scope = NewDisposeScope();
        // Δ_0 = (0.5 - 0.2) - (0.4 - 0.9) = 0.8 ; Δ_1 = (0.1 - 0.3) - (0.6 - 0.2) = -0.6
        var thetaRef = T(0.2f, 0.3f); var thetaGen = T(0.9f, 0.2f);
        var phiRef = T(0.5f, 0.1f); var phiGen = T(0.4f, 0.6f);
        var labels = T(1f, 0f);
        var terms = RpoLoss.Compute(thetaRef, thetaGen, phiRef, phiGen, labels, beta: 0.5);
        Assert.Equal(new[] { 0.8f, -0.6f }, terms.Delta.data<float>().ToArray().Select(x => MathF.Round(x, 5)).ToArray());
        // l=1: -log σ(0.8) = softplus(-0.8); l=0: -log σ(0.6) = softplus(-0.6)
        double preference = (Softplus(-0.8) + Softplus(-0.6)) / 2;
        double expected = preference + 0.5 * (0.2 + 0.3) / 2;
        Assert.Equal(preference, terms.PreferenceLoss.item<float>(), 5);
        Assert.Equal(0.25, terms.ReferenceLoss.item<float>(), 6);
        Assert.Equal(expected, terms.Loss.item<float>(), 5);
    }

    [Fact]
    public void Label_limits_and_zero_delta()
    {
        using var scope = NewDisposeScope();
        var zero = T(0f);
        // Δ = 0 → log 2 whatever the label.
        foreach (var l in new[] { 0f, 1f, 0.3f })
            Assert.Equal(Math.Log(2), RpoLoss.Compute(zero, zero, zero, zero, T(l), beta: 0).Loss.item<float>(), 6);
        // Large positive Δ (θ fits the reference much better than φ does): l=1 → 0, l=0 → Δ.
        var big = RpoLoss.Compute(T(0f), T(20f), T(20f), T(0f), T(1f), beta: 0);
        Assert.Equal(40f, big.Delta.item<float>());
        Assert.Equal(0, big.Loss.item<float>(), 6);
        Assert.Equal(40, RpoLoss.Compute(T(0f), T(20f), T(20f), T(0f), T(0f), beta: 0).Loss.item<float>(), 4);
    }

    [Fact]
    public void Beta_scales_only_the_reference_term()
    {
        using var scope = NewDisposeScope();
        var (tr, tg, pr, pg, l) = (T(0.7f, 0.1f), T(0.3f, 0.5f), T(0.2f, 0.4f), T(0.9f, 0.05f), T(1f, 0f));
        var b0 = RpoLoss.Compute(tr, tg, pr, pg, l, 0);
        var b1 = RpoLoss.Compute(tr, tg, pr, pg, l, 1);
        var b3 = RpoLoss.Compute(tr, tg, pr, pg, l, 3);
        Assert.Equal(b0.PreferenceLoss.item<float>(), b3.PreferenceLoss.item<float>());
        Assert.Equal(0.4f, b1.Loss.item<float>() - b0.Loss.item<float>(), 5);
        Assert.Equal(1.2f, b3.Loss.item<float>() - b0.Loss.item<float>(), 5);
    }

    [Fact]
    public void Gradient_reaches_theta_only()
    {
        using var scope = NewDisposeScope();
        var tr = T(0.7f).requires_grad_(); var tg = T(0.3f).requires_grad_();
        var pr = T(0.2f).requires_grad_(); var pg = T(0.9f).requires_grad_();
        var terms = RpoLoss.Compute(tr, tg, pr, pg, T(1f), beta: 1);
        terms.Loss.backward();
        // Δ = (0.2-0.7) - (0.9-0.3) = -1.1 ; dL/dΔ = -(1 - σ(Δ)) = -σ(1.1); dΔ/dθref = -1, dΔ/dθgen = +1.
        double s = 1 / (1 + Math.Exp(-1.1));
        Assert.Equal(s + 1, tr.grad!.item<float>(), 5);
        Assert.Equal(-s, tg.grad!.item<float>(), 5);
        Assert.True(pr.grad is null || pr.grad.abs().max().item<float>() == 0);
        Assert.True(pg.grad is null || pg.grad.abs().max().item<float>() == 0);
    }

    static DDPMScheduler Scheduler(string prediction) => new(ConfigJsonScheduler(prediction));

    static SchedulerConfig ConfigJsonScheduler(string prediction) => Rpo.Diffusion.Configs.ConfigJson.Parse<SchedulerConfig>(
        $$"""{"_class_name":"DDPMScheduler","beta_schedule":"scaled_linear","beta_start":0.00085,"beta_end":0.012,"num_train_timesteps":1000,"prediction_type":"{{prediction}}"}""");

    [Theory]
    [InlineData("epsilon")]
    [InlineData("v_prediction")]
    public void From_models_uses_the_scheduler_target_and_freezes_phi(string prediction)
    {
        using var scope = NewDisposeScope();
        var scheduler = Scheduler(prediction);
        var gen = new Generator(7);
        var latents = randn(new long[] { 4, 4, 8, 8 }, generator: gen);
        var noise = randn(new long[] { 4, 4, 8, 8 }, generator: gen);
        var t = tensor(new long[] { 10, 500, 999, 250 });
        var emb = randn(new long[] { 4, 3, 5 }, generator: gen);
        var w = tensor(0.9f).requires_grad_();
        var phiW = tensor(1.1f).requires_grad_();
        var target = scheduler.TrainingTarget(latents, noise, t);
        // Models that predict a scaled target make ℓ a closed form: ℓ = (w - 1)² · mean(target²).
        Tensor Trained(Tensor x, Tensor ts, Tensor e) => target * w;
        Tensor Frozen(Tensor x, Tensor ts, Tensor e) => target * phiW;
        var terms = RpoLoss.FromModels(Trained, Frozen, scheduler, latents, noise, t, emb, tensor(new float[] { 1, 0 }), beta: 1);
        var m = target.square().mean(new long[] { 1, 2, 3 }).data<float>().ToArray();
        double thetaScale = 0.01, phiScale = 0.01;
        double[] delta = [(phiScale * m[0] - thetaScale * m[0]) - (phiScale * m[2] - thetaScale * m[2]),
                          (phiScale * m[1] - thetaScale * m[1]) - (phiScale * m[3] - thetaScale * m[3])];
        Assert.Equal(delta[0], terms.Delta[0].item<float>(), 5);
        Assert.Equal(delta[1], terms.Delta[1].item<float>(), 5);
        Assert.Equal(thetaScale * (m[0] + m[1]) / 2, terms.ReferenceLoss.item<float>(), 4);
        if (prediction == "epsilon") Assert.Equal(0f, (target - noise).abs().max().item<float>());
        else Assert.Equal(0f, (target - scheduler.GetVelocity(latents, noise, t)).abs().max().item<float>());
        terms.Loss.backward();
        Assert.NotNull(w.grad);
        Assert.True(phiW.grad is null);
    }
}
