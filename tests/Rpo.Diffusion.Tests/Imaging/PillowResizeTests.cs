using Rpo.Diffusion.Imaging;

namespace Rpo.Diffusion.Tests.Imaging;

public class PillowResizeTests
{
    static RgbImage Gray(int width, params byte[] values)
    {
        var px = new byte[values.Length * 3];
        for (int i = 0; i < values.Length; i++) px[3 * i] = px[3 * i + 1] = px[3 * i + 2] = values[i];
        return new RgbImage(width, values.Length / width, px);
    }

    static byte[] Red(RgbImage img) => Enumerable.Range(0, img.Width * img.Height).Select(i => img.Pixels[3 * i]).ToArray();

    [Fact]
    public void Bilinear_downscale_widens_the_support_and_uses_fixed_point_weights()
    {
        // 4 -> 2: scale 2, support 2. Output 0: centre 1, taps x = 0..2 with 1 - |x + 0.5 - 1| / 2 = 3/4, 3/4, 1/4
        // -> 3/7, 3/7, 1/7: 0*3/7 + 70*3/7 + 140/7 = 50 exactly, but the 22-bit weights sum to just under 1 -> 50.
        // Output 1: centre 3, taps 1..3 -> 1/7, 3/7, 3/7 on 70, 140, 210 = 160.
        var r = PillowResize.Resize(Gray(4, 0, 70, 140, 210), 2, 1, ResampleFilter.Bilinear);
        Assert.Equal([50, 160], Red(r));
    }

    [Fact]
    public void Bilinear_upscale_keeps_edges_and_rounds_half_up()
    {
        // 2 -> 4: centres 0.25, 0.75, 1.25, 1.75; edge outputs see one tap; inner ones 3/4 + 1/4:
        // 255/4 = 63.75 -> 64, 3*255/4 = 191.25 -> 191.
        var r = PillowResize.Resize(Gray(2, 0, 255), 4, 1, ResampleFilter.Bilinear);
        Assert.Equal([0, 64, 191, 255], Red(r));
    }

    [Fact]
    public void Box_averages_the_pixels_whose_centres_fall_inside()
    {
        // 5 -> 2: scale 2.5; output 0 covers x = 0, 1, 2 (the right edge 0.5 is inclusive), output 1 covers 3, 4.
        var r = PillowResize.Resize(Gray(5, 10, 200, 30, 250, 0), 2, 1, ResampleFilter.Box);
        Assert.Equal([80, 125], Red(r));
    }

    [Fact]
    public void Nearest_steps_through_the_source_from_half_a_step()
    {
        // a = 5/3: positions 0.83, 2.5, 4.17 -> 0, 2, 4.
        var r = PillowResize.Resize(Gray(5, 10, 200, 30, 250, 0), 3, 1, ResampleFilter.Nearest);
        Assert.Equal([10, 30, 0], Red(r));
    }

    // The following expectations are Pillow 9.4.0's own output for these inputs.
    [Theory]
    [InlineData(ResampleFilter.Bicubic, new byte[] { 0, 0, 255, 255 }, 4, 7, new byte[] { 0, 0, 0, 128, 255, 255, 255 })]
    [InlineData(ResampleFilter.Lanczos, new byte[] { 10, 200, 30, 250, 0 }, 5, 2, new byte[] { 103, 118 })]
    [InlineData(ResampleFilter.Hamming, new byte[] { 10, 200, 30, 250, 0 }, 5, 3, new byte[] { 82, 86, 94 })]
    public void One_dimensional_cases_match_pillow(ResampleFilter filter, byte[] input, int width, int outWidth, byte[] expected)
    {
        var r = PillowResize.Resize(Gray(width, input), outWidth, 1, filter);
        Assert.Equal(expected, Red(r));
    }

    [Fact]
    public void Bicubic_clamps_the_horizontal_pass_to_8_bits_before_the_vertical_pass()
    {
        var px = new byte[27];
        byte[] r = [255, 0, 255, 0, 255, 0, 255, 0, 255], g = [0, 0, 0, 255, 255, 255, 0, 0, 0], b = [10, 20, 30, 40, 50, 60, 70, 80, 90];
        for (int i = 0; i < 9; i++) { px[3 * i] = r[i]; px[3 * i + 1] = g[i]; px[3 * i + 2] = b[i]; }
        var result = PillowResize.Resize(new RgbImage(3, 3, px), 5, 4, ResampleFilter.Bicubic);
        byte[] pillow =
        [
            255, 0, 7, 157, 0, 11, 0, 0, 18, 157, 0, 25, 255, 0, 29, 77, 178, 26, 117, 178, 30, 178, 178, 37, 117, 178, 44, 77,
            178, 48, 77, 178, 52, 117, 178, 56, 178, 178, 63, 117, 178, 70, 77, 178, 74, 255, 0, 71, 157, 0, 75, 0, 0, 82,
            157, 0, 89, 255, 0, 93,
        ];
        Assert.Equal(pillow, result.Pixels);
    }

    [Fact]
    public void Same_size_is_a_copy_and_one_pixel_upscales_to_a_flat_image()
    {
        var img = Gray(2, 1, 2, 3, 4);
        var same = PillowResize.Resize(img, 2, 2, ResampleFilter.Bicubic);
        Assert.Equal(img.Pixels, same.Pixels);
        Assert.NotSame(img.Pixels, same.Pixels);
        foreach (var f in Enum.GetValues<ResampleFilter>())
            Assert.All(PillowResize.Resize(Gray(1, 77), 3, 2, f).Pixels, v => Assert.Equal(77, v));
    }

    [Fact]
    public void Center_crop_follows_transformers_including_its_padding()
    {
        var img = Gray(4, Enumerable.Range(1, 12).Select(i => (byte)i).ToArray());   // 4 x 3
        var c = img.CenterCrop(2, 2);   // top (3-2)//2 = 0, left (4-2)//2 = 1
        Assert.Equal([2, 3, 6, 7], Red(c));
        // Larger than the image: centred on zeros; 3 -> 5 rows puts the image at rows 1..3.
        var p = img.CenterCrop(4, 5);
        Assert.Equal((4, 5), (p.Width, p.Height));
        Assert.Equal(new byte[] { 0, 0, 0, 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0 }, Red(p));
        // An odd padding difference: transformers' slice comes out one row short (3 -> 6 pads by 1 but the crop starts at -2).
        var q = Gray(1, 1, 2, 3).CenterCrop(1, 6);
        Assert.Equal(5, q.Height);
        Assert.Equal(new byte[] { 0, 1, 2, 3, 0 }, Red(q));
    }
}
