using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Storage;
using Rpo.Tests.Shared;

namespace Rpo.Pipeline.Tests.Subjects;

/// <summary>Real upload files made in the test: PNGs of seeded noise, a cut DreamBench JPEG, and a local store to put them in.</summary>
internal static class SubjectUploads
{
    public static RgbImage Noise(int width, int height, int seed)
    {
        var pixels = new byte[width * height * 3];
        new Random(seed).NextBytes(pixels);
        return new RgbImage(width, height, pixels);
    }

    public static byte[] Png(int width, int height, int seed) => PngWriter.Encode(Noise(width, height, seed));

    /// <summary>The same pixels as <see cref="PngWriter"/> writes, in other bytes: zlib at another level and a tEXt chunk.</summary>
    public static byte[] PngOtherBytes(RgbImage image) => PngWithChunk(image, "tEXt", Encoding.ASCII.GetBytes("Comment\0saved again"));

    /// <summary>A PNG whose eXIf chunk says how to turn it upright (6: rotate 90° clockwise), as phones write.</summary>
    public static byte[] PngWithOrientation(RgbImage image, int orientation) =>
        PngWithChunk(image, "eXIf", [(byte)'M', (byte)'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, 0, (byte)orientation, 0, 0, 0, 0, 0, 0]);

    private static byte[] PngWithChunk(RgbImage image, string chunkType, byte[] chunk)
    {
        using var stream = new MemoryStream();
        stream.Write([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]);
        var ihdr = new byte[13];
        BinaryPrimitives.WriteInt32BigEndian(ihdr, image.Width);
        BinaryPrimitives.WriteInt32BigEndian(ihdr.AsSpan(4), image.Height);
        ihdr[8] = 8;
        ihdr[9] = 2;
        Chunk(stream, "IHDR", ihdr);
        Chunk(stream, chunkType, chunk);
        using var compressed = new MemoryStream();
        using (var z = new ZLibStream(compressed, CompressionLevel.NoCompression, leaveOpen: true))
        {
            for (var y = 0; y < image.Height; y++)
            {
                z.WriteByte(0);
                z.Write(image.Pixels, y * image.Stride, image.Stride);
            }
        }

        Chunk(stream, "IDAT", compressed.ToArray());
        Chunk(stream, "IEND", []);
        return stream.ToArray();
    }

    /// <summary>A real photo (DreamBench dog/00.jpg, read from ../shared at test time).</summary>
    public static byte[] Jpeg() => File.ReadAllBytes(Path.Combine(TestPaths.DreamBench, "dataset", "dog", "00.jpg"));

    /// <summary>The first half of that photo: what an interrupted upload leaves.</summary>
    public static byte[] TruncatedJpeg()
    {
        var bytes = Jpeg();
        return bytes[..(bytes.Length / 2)];
    }

    public static byte[] Json(string text) => Encoding.UTF8.GetBytes(text);

    public static async Task PutAsync(IBlobStorage storage, string subjectId, params (string Name, byte[] Content)[] files)
    {
        await storage.EnsureCreatedAsync();
        foreach (var (name, content) in files)
        {
            await storage.WriteAsync(StorageLayout.SubjectFolder(subjectId).Combine(name), content);
        }
    }

    private static void Chunk(Stream stream, string type, byte[] payload)
    {
        var header = new byte[8];
        BinaryPrimitives.WriteInt32BigEndian(header, payload.Length);
        Encoding.ASCII.GetBytes(type, 0, 4, header, 4);
        stream.Write(header);
        stream.Write(payload);
        var crc = Crc32(payload, Crc32(header.AsSpan(4), 0xFFFFFFFFu)) ^ 0xFFFFFFFFu;
        var tail = new byte[4];
        BinaryPrimitives.WriteUInt32BigEndian(tail, crc);
        stream.Write(tail);
    }

    private static uint Crc32(ReadOnlySpan<byte> data, uint crc)
    {
        foreach (var b in data)
        {
            crc ^= b;
            for (var k = 0; k < 8; k++)
            {
                crc = (crc & 1) != 0 ? 0xEDB88320u ^ (crc >> 1) : crc >> 1;
            }
        }

        return crc;
    }
}

/// <summary>A temporary local store, deleted after the test.</summary>
internal sealed class TempLocalStore : IAsyncDisposable
{
    private readonly string _root = Path.Combine(Path.GetTempPath(), "rpo-subject-tests", Guid.NewGuid().ToString("N"));

    public TempLocalStore()
    {
        Store = new LocalFolderStorage(_root);
    }

    public LocalFolderStorage Store { get; }

    public ValueTask DisposeAsync()
    {
        if (Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }

        return ValueTask.CompletedTask;
    }
}
