using Rpo.Diffusion.Schedulers;
using Rpo.Training.Loss;
using Rpo.Training.Lora;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training.Optimization;

/// <summary>
/// θ set up for training and one optimisation step of the RPO loss on a prepared batch: φ frozen (optionally in
/// bfloat16), θ's trainable parameters (the whole UNet, or LoRA adapters on it), the CPU conv-backward guard, optional
/// gradient checkpointing, AdamW, grad-norm clipping. <see cref="RpoTrainer"/> feeds it real pairs; <c>rpo bench
/// train</c> feeds it random tensors, so the benchmark measures exactly the step the trainer runs.
/// </summary>
public sealed class RpoOptimizationStep : IDisposable
{
    readonly nn.Module<Tensor, Tensor, Tensor, Tensor> unet;
    readonly nn.Module<Tensor, Tensor, Tensor, Tensor> reference;
    readonly DDPMScheduler scheduler;
    readonly ConvBackwardGuard convGuard;
    readonly GradientCheckpointing? checkpointing;
    readonly Parameter[] trainable;
    bool disposed;

    public RpoOptimizationStep(nn.Module<Tensor, Tensor, Tensor, Tensor> unet, nn.Module<Tensor, Tensor, Tensor, Tensor> reference,
        DDPMScheduler scheduler, TrainingOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        this.unet = unet ?? throw new ArgumentNullException(nameof(unet));
        this.reference = reference ?? throw new ArgumentNullException(nameof(reference));
        this.scheduler = scheduler ?? throw new ArgumentNullException(nameof(scheduler));
        Options = options;

        reference.eval();
        foreach (var p in reference.parameters()) p.requires_grad = false;
        if (options.FrozenInBFloat16) reference.to(ScalarType.BFloat16);

        unet.train();
        convGuard = new ConvBackwardGuard(unet);
        if (options.GradientCheckpointing) checkpointing = new GradientCheckpointing(unet);
        if (options.Lora is { } loraOptions)
        {
            foreach (var p in unet.parameters()) p.requires_grad = false;
            Lora = new LoraAdapters(unet, loraOptions, options.Seed);
            trainable = Lora.parameters().ToArray();
        }
        else
        {
            foreach (var p in unet.parameters()) p.requires_grad = true;
            trainable = unet.parameters().ToArray();
        }
        Optimizer = optim.AdamW(trainable, lr: options.LearningRate, beta1: options.AdamBeta1, beta2: options.AdamBeta2,
            eps: options.AdamEpsilon, weight_decay: options.WeightDecay);
    }

    public TrainingOptions Options { get; }
    public LoraAdapters? Lora { get; }
    public IReadOnlyList<Parameter> TrainableParameters => trainable;
    /// <summary>AdamW over <see cref="TrainableParameters"/>; its state is part of a resumable checkpoint.</summary>
    public AdamW Optimizer { get; }
    public Device Device => trainable[0].device;

    /// <summary>
    /// Loss, backward, clip, AdamW step on one batch laid out as <see cref="RpoLoss.FromModels"/> expects. The terms
    /// belong to the caller's dispose scope.
    /// </summary>
    public (RpoLossTerms Terms, double GradNorm) Run(Tensor latents, Tensor noise, Tensor timesteps, Tensor text, Tensor labels)
    {
        ObjectDisposedException.ThrowIf(disposed, this);
        Optimizer.zero_grad();
        var terms = RpoLoss.FromModels(Trained, Frozen, scheduler, latents, noise, timesteps, text, labels, Options.Beta);
        terms.Loss.backward();
        // The reference passes a generator the optimizer has already consumed, so its clip does nothing; this clips.
        double norm = GradientClipping.ClipGradNorm(trainable, Options.MaxGradNorm);
        Optimizer.step();
        Optimizer.zero_grad();
        return (terms, norm);
    }

    Tensor Trained(Tensor x, Tensor t, Tensor text) => unet.call(x, t, text);

    Tensor Frozen(Tensor x, Tensor t, Tensor text)
    {
        if (!Options.FrozenInBFloat16) return reference.call(x, t, text);
        return reference.call(x.to_type(ScalarType.BFloat16), t, text.to_type(ScalarType.BFloat16)).to_type(ScalarType.Float32);
    }

    public void Dispose()
    {
        if (disposed) return;
        disposed = true;
        Optimizer.Dispose();
        Lora?.Dispose();
        convGuard.Dispose();
        checkpointing?.Dispose();
    }
}
