namespace Rpo.Diffusion.Imaging;

/// <summary>A file that is not a readable image (unknown format, truncated, corrupt or an unsupported variant).</summary>
public sealed class ImageDecodeException : Exception
{
    public ImageDecodeException(string message) : base(message) { }
    public ImageDecodeException(string message, Exception inner) : base(message, inner) { }
}
