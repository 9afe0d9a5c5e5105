using Rpo.Diffusion.Imaging;

namespace Rpo.Training.Negatives;

/// <summary>Text to image with the frozen base model (or a checkpoint's UNet): one image per call, reproducible by seed.</summary>
public interface IImageGenerator
{
    RgbImage Generate(string prompt, long seed);
}
