namespace Rpo.Diffusion.Imaging;

/// <summary>Pillow's resampling filters, numbered as <c>PIL.Image.Resampling</c> (the <c>resample</c> of a preprocessor_config.json).</summary>
public enum ResampleFilter
{
    Nearest = 0,
    Lanczos = 1,
    Bilinear = 2,
    Bicubic = 3,
    Box = 4,
    Hamming = 5,
}
