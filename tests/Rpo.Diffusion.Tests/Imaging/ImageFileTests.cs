using System.Buffers.Binary;
using System.IO.Compression;
using Rpo.Diffusion.Imaging;
using Rpo.Diffusion.Parity;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Imaging;

public class ImageFileTests
{
    public static TheoryData<string> JpegCases => new() { "reward-clip-tiny", "reward-align-tiny", "metrics-dreambench-tiny" };

    [Theory]
    [MemberData(nameof(JpegCases))]
    public void Jpeg_decodes_like_libjpeg_turbo(string caseName)
    {
        using var fixture = FixtureCase.Load(TestPaths.Fixture(caseName));
        var image = ImageFile.ReadRgb(Path.Combine(fixture.Folder, "images", "reference", "01.jpg"));
        var expected = fixture.Inputs["jpeg_rgb.reference_01"];
        Assert.Equal(new long[] { image.Height, image.Width, 3 }, expected.shape);
        using var got = tensor(image.Pixels.Select(b => (long)b).ToArray(), [image.Height, image.Width, 3]);
        long maxDiff = (got - expected).abs().max().item<long>();
        Console.WriteLine($"[{caseName}] JPEG {image.Width}x{image.Height}: max |decoded - libjpeg-turbo| = {maxDiff}");
        Assert.Equal(0, maxDiff);
    }

    // ---- PNG colour types, built here so that every stored value is known.

    static byte[] Png(int width, int height, byte colorType, byte[] rows, byte[]? plte = null, byte[]? trns = null, byte[]? exif = null)
    {
        using var ms = new MemoryStream();
        ms.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), height);
        ihdr[8] = 8;
        ihdr[9] = colorType;
        Chunk(ms, "IHDR", ihdr);
        if (plte != null) Chunk(ms, "PLTE", plte);
        if (trns != null) Chunk(ms, "tRNS", trns);
        if (exif != null) Chunk(ms, "eXIf", exif);
        using var z = new MemoryStream();
        using (var zs = new ZLibStream(z, CompressionLevel.Fastest, leaveOpen: true)) zs.Write(rows);
        Chunk(ms, "IDAT", z.ToArray());
        Chunk(ms, "IEND", []);
        return ms.ToArray();
    }

    static void Chunk(Stream s, string type, byte[] payload)
    {
        var head = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(head, payload.Length);
        for (int i = 0; i < 4; i++) head[4 + i] = (byte)type[i];
        s.Write(head);
        s.Write(payload);
        uint crc = 0xFFFFFFFF;
        foreach (var b in head.Skip(4).Concat(payload))
        {
            crc ^= b;
            for (int k = 0; k < 8; k++) crc = (crc & 1) != 0 ? 0xEDB88320 ^ (crc >> 1) : crc >> 1;
        }
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc ^ 0xFFFFFFFF);
        s.Write(tail);
    }

    [Fact]
    public void Grayscale_png_becomes_r_equals_g_equals_b()
    {
        // 2x1 L: filter byte 0, then 17, 200
        var img = ImageFile.DecodeRgb(Png(2, 1, 0, [0, 17, 200]));
        Assert.Equal(new byte[] { 17, 17, 17, 200, 200, 200 }, img.Pixels);
    }

    [Fact]
    public void Rgba_png_drops_alpha_and_keeps_the_stored_colour_even_under_zero_alpha()
    {
        var img = ImageFile.DecodeRgb(Png(2, 1, 6, [0, 10, 20, 30, 0, 200, 150, 100, 128]));
        Assert.Equal(new byte[] { 10, 20, 30, 200, 150, 100 }, img.Pixels);
    }

    [Fact]
    public void Gray_alpha_and_palette_pngs_expand_to_rgb()
    {
        var la = ImageFile.DecodeRgb(Png(1, 1, 4, [0, 90, 0]));
        Assert.Equal(new byte[] { 90, 90, 90 }, la.Pixels);
        var pal = ImageFile.DecodeRgb(Png(3, 1, 3, [0, 2, 0, 1], plte: [1, 2, 3, 4, 5, 6, 7, 8, 9], trns: [0, 255, 255]));
        Assert.Equal(new byte[] { 7, 8, 9, 1, 2, 3, 4, 5, 6 }, pal.Pixels);
    }

    [Fact]
    public void Fixture_rgba_png_keeps_colour_where_alpha_is_zero()
    {
        // The corners of the fixture's RGBA candidate have alpha 0 (radial ramp) but real photo colour underneath.
        var img = ImageFile.ReadRgb(TestPaths.Fixture("reward-clip-tiny", "images", "candidates", "01.png"));
        Assert.Equal((120, 80), (img.Width, img.Height));
        var (r, g, b) = img[0, 0];
        Assert.NotEqual(0, r + g + b);
    }

    [Fact]
    public void Png_written_reads_back_identically()
    {
        var rnd = new Random(3);
        var px = new byte[7 * 5 * 3];
        rnd.NextBytes(px);
        var img = new RgbImage(7, 5, px);
        var path = Path.Combine(Path.GetTempPath(), $"rpo-png-{Guid.NewGuid():N}.png");
        try
        {
            PngWriter.Write(img, path);
            var back = ImageFile.ReadRgb(path);
            Assert.Equal((7, 5), (back.Width, back.Height));
            Assert.Equal(px, back.Pixels);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Non_images_and_truncated_files_throw_a_clear_exception()
    {
        Assert.Throws<ImageDecodeException>(() => ImageFile.DecodeRgb([]));
        var text = Assert.Throws<ImageDecodeException>(() => ImageFile.DecodeRgb("subject: a dog\n"u8.ToArray()));
        Assert.Contains("not an image", text.Message);

        var jpeg = File.ReadAllBytes(TestPaths.Fixture("reward-clip-tiny", "images", "reference", "01.jpg"));
        var cut = Assert.Throws<ImageDecodeException>(() => ImageFile.DecodeRgb(jpeg[..(jpeg.Length / 2)]));
        Assert.Contains("truncated", cut.Message);

        var png = File.ReadAllBytes(TestPaths.Fixture("reward-clip-tiny", "images", "reference", "00.png"));
        Assert.Throws<ImageDecodeException>(() => ImageFile.DecodeRgb(png[..(png.Length / 2)]));

        // A header claiming 20000 x 20000 pixels is refused before anything is allocated (Pillow's bomb limit).
        var bomb = Png(1, 1, 0, [0, 0]);
        BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(16), 20000);
        BinaryPrimitives.WriteInt32BigEndian(bomb.AsSpan(20), 20000);
        Assert.Contains("decompression bomb", Assert.Throws<ImageDecodeException>(() => ImageFile.DecodeRgb(bomb)).Message);

        var path = Path.Combine(Path.GetTempPath(), $"rpo-bad-{Guid.NewGuid():N}.jpg");
        try
        {
            File.WriteAllBytes(path, jpeg[..100]);
            var e = Assert.Throws<ImageDecodeException>(() => ImageFile.ReadRgb(path));
            Assert.StartsWith(Path.GetFileName(path), e.Message);
        }
        finally
        {
            File.Delete(path);
        }
    }

    static byte[] ExifWithOrientation(int orientation)
    {
        // Little-endian TIFF: header, IFD0 at 8 with one entry (0x0112, SHORT, 1, value), next IFD 0.
        var t = new byte[8 + 2 + 12 + 4];
        t[0] = (byte)'I'; t[1] = (byte)'I'; t[2] = 42; t[4] = 8;
        t[8] = 1;
        t[10] = 0x12; t[11] = 0x01; t[12] = 3; t[14] = 1; t[18] = (byte)orientation;
        return t;
    }

    [Fact]
    public void Exif_orientation_is_applied_only_when_asked()
    {
        var jpeg = File.ReadAllBytes(TestPaths.Fixture("reward-clip-tiny", "images", "reference", "01.jpg"));
        var plain = ImageFile.DecodeRgb(jpeg);
        // Insert an APP1 Exif segment right after SOI.
        var tiff = ExifWithOrientation(6);
        var app1 = new List<byte> { 0xFF, 0xE1, (byte)((tiff.Length + 8) >> 8), (byte)((tiff.Length + 8) & 0xFF) };
        app1.AddRange("Exif\0\0"u8.ToArray());
        app1.AddRange(tiff);
        var withExif = jpeg[..2].Concat(app1).Concat(jpeg[2..]).ToArray();

        var ignored = ImageFile.DecodeRgb(withExif);
        Assert.Equal(plain.Pixels, ignored.Pixels);

        var upright = ImageFile.DecodeRgb(withExif, applyExifOrientation: true);
        Assert.Equal((plain.Height, plain.Width), (upright.Width, upright.Height));
        // Orientation 6 = rotate 90 degrees clockwise: the bottom-left pixel becomes the top-left one.
        Assert.Equal(plain[0, plain.Height - 1], upright[0, 0]);
        Assert.Equal(plain[0, 0], upright[upright.Width - 1, 0]);
    }

    [Theory]
    [InlineData(1, 3, 2, new byte[] { 1, 2, 3, 4, 5, 6 })]
    [InlineData(2, 3, 2, new byte[] { 3, 2, 1, 6, 5, 4 })]
    [InlineData(3, 3, 2, new byte[] { 6, 5, 4, 3, 2, 1 })]
    [InlineData(4, 3, 2, new byte[] { 4, 5, 6, 1, 2, 3 })]
    [InlineData(5, 2, 3, new byte[] { 1, 4, 2, 5, 3, 6 })]
    [InlineData(6, 2, 3, new byte[] { 4, 1, 5, 2, 6, 3 })]
    [InlineData(7, 2, 3, new byte[] { 6, 3, 5, 2, 4, 1 })]
    [InlineData(8, 2, 3, new byte[] { 3, 6, 2, 5, 1, 4 })]
    public void Exif_orientations_match_pillow_exif_transpose(int orientation, int width, int height, byte[] expected)
    {
        // 3x2 source  1 2 3 / 4 5 6  (gray), through a PNG eXIf chunk.
        var png = Png(3, 2, 0, [0, 1, 2, 3, 0, 4, 5, 6], exif: ExifWithOrientation(orientation));
        var img = ImageFile.DecodeRgb(png, applyExifOrientation: true);
        Assert.Equal((width, height), (img.Width, img.Height));
        Assert.Equal(expected, Enumerable.Range(0, width * height).Select(i => img.Pixels[3 * i]).ToArray());
    }

    [Fact]
    public void Vae_tensor_round_trip_follows_diffusers_rounding()
    {
        // [-1, 1] -> (x/2 + 0.5) * 255, round half to even: -1 -> 0, 1 -> 255, 0 -> 127.5 -> 128, clamped outside.
        using var x = tensor(new float[] { -1f, 0f, 1f, 2f, -3f, 0.5f }, [1, 3, 1, 2]);
        var img = ImageTensors.FromSignedTensor(x)[0];
        Assert.Equal((2, 1), (img.Width, img.Height));
        // channel-first [R: -1, 0][G: 1, 2][B: -3, 0.5] -> pixel 0 = (0, 255, 0), pixel 1 = (128, 255, 191)
        Assert.Equal(new byte[] { 0, 255, 0, 128, 255, 191 }, img.Pixels);

        using var back = ImageTensors.ToSignedTensor([img]);
        Assert.Equal(new long[] { 1, 3, 1, 2 }, back.shape);
        var v = back.data<float>().ToArray();
        Assert.Equal(2f * (128f / 255f) - 1f, v[1]);
        Assert.Equal(-1f, v[0]);
        Assert.Equal(1f, v[2]);
    }
}
