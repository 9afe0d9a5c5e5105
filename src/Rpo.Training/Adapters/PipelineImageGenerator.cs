using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Pipelines;
using Rpo.Training.Negatives;
using static TorchSharp.torch;

namespace Rpo.Training.Adapters;

/// <summary>
/// <see cref="IImageGenerator"/> over a <see cref="StableDiffusionPipeline"/>: one image per call, its noise drawn from a
/// CPU generator seeded with the call's seed (as diffusers' <c>torch.Generator().manual_seed</c>), so a negative is
/// reproducible from (prompt, seed) alone. Runs without gradients whatever the caller's mode. The pipeline is borrowed, not owned.
/// </summary>
public sealed class PipelineImageGenerator(StableDiffusionPipeline pipeline, int steps = 50, double guidanceScale = 7.5) : IImageGenerator
{
    public StableDiffusionPipeline Pipeline { get; } = pipeline ?? throw new ArgumentNullException(nameof(pipeline));
    public int Steps { get; } = steps >= 1 ? steps : throw new ArgumentOutOfRangeException(nameof(steps), $"steps must be ≥ 1, not {steps}.");
    public double GuidanceScale { get; } = guidanceScale;

    public RgbImage Generate(string prompt, long seed)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(prompt);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var generator = new Generator(unchecked((ulong)seed));
        using var result = Pipeline.Generate(new GenerationRequest { Prompts = [prompt], Steps = Steps, GuidanceScale = GuidanceScale, Generator = generator });
        // Generate returns [0, 1]; the shared 8-bit conversion takes the VAE's [-1, 1] range.
        return ImageTensors.FromSignedTensor(result.Images * 2 - 1)[0];
    }
}
