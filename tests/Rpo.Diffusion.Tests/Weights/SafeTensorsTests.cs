using Rpo.Diffusion.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Weights;

public sealed class SafeTensorsTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-st-").FullName;
    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Theory]
    [InlineData(ScalarType.Float32, "F32")]
    [InlineData(ScalarType.Float16, "F16")]
    [InlineData(ScalarType.BFloat16, "BF16")]
    [InlineData(ScalarType.Int64, "I64")]
    public void Round_trips_each_dtype_bit_for_bit(ScalarType dtype, string name)
    {
        string path = Path.Combine(_dir, "t.safetensors");
        var original = (arange(24, ScalarType.Float32).reshape(2, 3, 4) * 0.37f - 3).to_type(dtype);
        SafeTensorsWriter.Write(path, [new("b.weight", original), new("a", zeros(0))], new Dictionary<string, string> { ["format"] = "pt" });

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["a", "b.weight"], file.Tensors.Keys.Order());
        Assert.Equal(name, file.Tensors["b.weight"].Dtype);
        Assert.Equal([2L, 3, 4], file.Tensors["b.weight"].Shape);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.True(file.Read("b.weight").equal(original).all().item<bool>());
        // Header padded to a multiple of 8, as the Python library writes it.
        Assert.Equal(0UL, BitConverter.ToUInt64(File.ReadAllBytes(path), 0) % 8);
    }

    [Fact]
    public void ReadInto_converts_dtype_and_rejects_wrong_shapes()
    {
        string path = Path.Combine(_dir, "t.safetensors");
        var stored = randn(3, 5).to_type(ScalarType.Float16);
        SafeTensorsWriter.Write(path, [new("w", stored)]);
        using var file = SafeTensorsFile.Open(path);
        var into = zeros(3, 5, ScalarType.Float32);
        file.ReadInto("w", into);
        Assert.True(into.equal(stored.to_type(ScalarType.Float32)).all().item<bool>());
        var wrong = zeros(5, 3);
        var error = Assert.Throws<WeightLoadException>(() => file.ReadInto("w", wrong));
        Assert.Contains("[3, 5]", error.Message);
    }

    [Fact]
    public void Reads_a_fixture_written_by_the_reference()
    {
        using var file = SafeTensorsFile.Open(Rpo.Tests.Shared.TestPaths.Fixture("unet-sd1-tiny", "expected.safetensors"));
        Assert.Equal("I64", file.Tensors["input.timestep"].Dtype);
        Assert.Equal([2L, 4, 32, 32], file.Tensors["output.sample"].Shape);
        var sample = file.Read("output.sample");
        Assert.True(sample.abs().max().item<float>() is > 0.1f and < 10f);
    }

    [Fact]
    public void Rejects_a_file_that_is_not_safetensors()
    {
        string path = Path.Combine(_dir, "x.safetensors");
        File.WriteAllText(path, "this is not a tensor file");
        Assert.Throws<InvalidDataException>(() => SafeTensorsFile.Open(path));
    }
}
