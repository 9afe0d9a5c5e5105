using static TorchSharp.torch;

namespace Rpo.Diffusion.Pipelines;

/// <summary>One text-to-image call, with diffusers' defaults.</summary>
public sealed record GenerationRequest
{
    public required IReadOnlyList<string> Prompts { get; init; }

    /// <summary>One per prompt, or null for the empty negative prompt when guidance is on.</summary>
    public IReadOnlyList<string>? NegativePrompts { get; init; }

    public int Steps { get; init; } = 25;
    public double GuidanceScale { get; init; } = 7.5;
    public int ImagesPerPrompt { get; init; } = 1;

    /// <summary>Pixels; null takes the UNet's <c>sample_size</c> × the VAE scale factor.</summary>
    public int? Width { get; init; }
    public int? Height { get; init; }

    /// <summary>0 uses the last hidden state; k ≥ 1 takes the output k layers before it (diffusers' clip_skip).</summary>
    public int ClipSkip { get; init; }

    /// <summary>Noise is drawn from this CPU generator then moved, as diffusers does; ignored when Latents is given.</summary>
    public Generator? Generator { get; init; }

    /// <summary>Initial latents x_T (before init_noise_sigma scaling), [B·images, C, h, w].</summary>
    public Tensor? Latents { get; init; }

    /// <summary>Called after every denoising step. Its tensors belong to the step: clone what you keep.</summary>
    public Action<DenoisingStep>? OnStep { get; init; }
}

/// <summary>What one denoising step saw and produced.</summary>
public sealed record DenoisingStep(int Index, int Total, double Timestep, Tensor UnetInput, Tensor UnetTimestep, Tensor UnetOutput, Tensor Latents);

/// <summary>The images in [0, 1], NCHW float32 on the CPU, and the final latents.</summary>
public sealed record GenerationResult(Tensor Images, Tensor Latents) : IDisposable
{
    public void Dispose()
    {
        Images.Dispose();
        Latents.Dispose();
    }
}
