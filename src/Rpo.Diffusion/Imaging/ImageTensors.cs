using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Imaging;

/// <summary>
/// Conversions between images and the [-1, 1] NCHW tensors of the VAE, as diffusers' <c>VaeImageProcessor</c>
/// (0.25.1) does them, so that saved samples and re-encoded images match the Python pipeline byte for byte.
/// </summary>
public static class ImageTensors
{
    /// <summary>
    /// VAE output [N, 3, H, W] in [-1, 1] -> 8-bit images: <c>(x / 2 + 0.5).clamp(0, 1)</c> in the tensor's own dtype
    /// (postprocess denormalises before casting), then float32, <c>* 255</c> and round half to even (numpy's round).
    /// </summary>
    public static RgbImage[] FromSignedTensor(Tensor images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.dim() != 4 || images.shape[1] != 3)
            throw new ArgumentException($"Expected [N, 3, H, W], got [{string.Join(", ", images.shape)}].", nameof(images));
        using var scope = NewDisposeScope();
        var x = images.detach();
        x = (x / 2 + 0.5).clamp(0, 1);
        x = x.to(ScalarType.Float32).cpu().permute(0, 2, 3, 1).contiguous();
        x = (x * 255).round().to(ScalarType.Byte);
        int n = (int)x.shape[0], h = (int)x.shape[1], w = (int)x.shape[2];
        var all = x.data<byte>().ToArray();
        var result = new RgbImage[n];
        for (int i = 0; i < n; i++)
            result[i] = new RgbImage(w, h, all.AsSpan(i * h * w * 3, h * w * 3).ToArray());
        return result;
    }

    /// <summary>
    /// Images of one size -> float32 [N, 3, H, W] in [-1, 1]: <c>float32(u8) / 255</c> then <c>2 * x - 1</c> (pil_to_numpy +
    /// normalize), each step rounded in float32 as numpy and torch do.
    /// </summary>
    public static Tensor ToSignedTensor(IReadOnlyList<RgbImage> images)
    {
        ArgumentNullException.ThrowIfNull(images);
        if (images.Count == 0) throw new ArgumentException("No images.", nameof(images));
        int w = images[0].Width, h = images[0].Height;
        var data = new float[images.Count * 3 * h * w];
        for (int i = 0; i < images.Count; i++)
        {
            var img = images[i];
            if (img.Width != w || img.Height != h)
                throw new ArgumentException($"Image {i} is {img.Width}x{img.Height}, image 0 is {w}x{h}: a batch needs one size.", nameof(images));
            ToPlanar(img, data.AsSpan(i * 3 * h * w, 3 * h * w), static b => 2f * ((float)b / 255f) - 1f);
        }
        return torch.tensor(data, [images.Count, 3, h, w], ScalarType.Float32);
    }

    /// <summary>HWC bytes -> CHW floats through a per-value map (the map is where each library's float32 rounding lives).</summary>
    public static void ToPlanar(RgbImage image, Span<float> destination, Func<byte, float> map)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(map);
        int plane = image.Width * image.Height;
        if (destination.Length != 3 * plane) throw new ArgumentException("Destination must hold 3 * W * H values.", nameof(destination));
        var px = image.Pixels;
        for (int p = 0; p < plane; p++)
        {
            destination[p] = map(px[3 * p]);
            destination[plane + p] = map(px[3 * p + 1]);
            destination[2 * plane + p] = map(px[3 * p + 2]);
        }
    }
}
