using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Weights;

/// <summary>One tensor's entry in a safetensors header.</summary>
public sealed record SafeTensorInfo(string Dtype, long[] Shape, long Begin, long End)
{
    public ScalarType ScalarType => SafeTensorDtypes.ToScalarType(Dtype);
    public long ByteLength => End - Begin;
}

/// <summary>
/// A <c>.safetensors</c> file: the header is parsed on open and each tensor's bytes are read on demand,
/// straight into the destination's storage when dtype and device allow, so loading a model never holds
/// a second copy of it.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    readonly FileStream _stream;
    readonly long _dataStart;

    SafeTensorsFile(string path, FileStream stream, long dataStart, Dictionary<string, SafeTensorInfo> tensors, Dictionary<string, string> metadata)
    {
        Path = path;
        _stream = stream;
        _dataStart = dataStart;
        Tensors = tensors;
        Metadata = metadata;
    }

    public string Path { get; }
    public IReadOnlyDictionary<string, SafeTensorInfo> Tensors { get; }
    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafeTensorsFile Open(string path)
    {
        var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, bufferSize: 1 << 20);
        try
        {
            Span<byte> lengthBytes = stackalloc byte[8];
            stream.ReadExactly(lengthBytes);
            ulong headerLength = BitConverter.ToUInt64(lengthBytes);
            if (headerLength == 0 || headerLength > 100_000_000 || (long)headerLength > stream.Length - 8)
                throw new InvalidDataException($"{path}: not a safetensors file (header length {headerLength}).");
            var header = new byte[headerLength];
            stream.ReadExactly(header);
            long dataStart = 8 + (long)headerLength;
            var (tensors, metadata) = ParseHeader(path, header, stream.Length - dataStart);
            return new SafeTensorsFile(path, stream, dataStart, tensors, metadata);
        }
        catch
        {
            stream.Dispose();
            throw;
        }
    }

    static (Dictionary<string, SafeTensorInfo>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        var tensors = new Dictionary<string, SafeTensorInfo>(StringComparer.Ordinal);
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        using var doc = JsonDocument.Parse(header);
        foreach (var entry in doc.RootElement.EnumerateObject())
        {
            if (entry.Name == "__metadata__")
            {
                foreach (var m in entry.Value.EnumerateObject())
                    metadata[m.Name] = m.Value.ToString();
                continue;
            }
            string dtype = entry.Value.GetProperty("dtype").GetString()!;
            long[] shape = entry.Value.GetProperty("shape").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var offsets = entry.Value.GetProperty("data_offsets").EnumerateArray().Select(e => e.GetInt64()).ToArray();
            var info = new SafeTensorInfo(dtype, shape, offsets[0], offsets[1]);
            long expected = shape.Aggregate(1L, (a, b) => a * b) * SafeTensorDtypes.ElementSize(dtype);
            if (info.ByteLength != expected || info.Begin < 0 || info.End > dataLength)
                throw new InvalidDataException($"{path}: tensor '{entry.Name}' has {info.ByteLength} bytes at [{info.Begin}, {info.End}) but {dtype}{FormatShape(shape)} needs {expected}.");
            tensors[entry.Name] = info;
        }
        return (tensors, metadata);
    }

    /// <summary>Reads a tensor into a new CPU tensor of its stored dtype, or converted to <paramref name="dtype"/>.</summary>
    public Tensor Read(string name, ScalarType? dtype = null)
    {
        var info = Info(name);
        var raw = empty(info.Shape, info.ScalarType);
        Fill(raw, info);
        if (dtype is null || dtype == info.ScalarType) return raw;
        using (raw) return raw.to_type(dtype.Value);
    }

    /// <summary>
    /// Copies a stored tensor into <paramref name="destination"/> (a parameter or buffer). Bytes go straight into
    /// the destination's storage when it is a contiguous CPU tensor of the stored dtype; otherwise through one
    /// temporary of this tensor alone, converted by <c>copy_</c>.
    /// </summary>
    public void ReadInto(string name, Tensor destination)
    {
        var info = Info(name);
        if (!destination.shape.SequenceEqual(info.Shape))
            throw new WeightLoadException($"{Path}: '{name}' is {FormatShape(info.Shape)} in the file but {FormatShape(destination.shape)} in the model.");
        using var _ = no_grad();
        if (destination.device_type == DeviceType.CPU && destination.dtype == info.ScalarType && destination.is_contiguous())
        {
            Fill(destination, info);
            return;
        }
        using var temp = empty(info.Shape, info.ScalarType);
        Fill(temp, info);
        destination.copy_(temp);
    }

    SafeTensorInfo Info(string name) =>
        Tensors.TryGetValue(name, out var info) ? info : throw new KeyNotFoundException($"{Path}: no tensor named '{name}'.");

    void Fill(Tensor tensor, SafeTensorInfo info)
    {
        _stream.Position = _dataStart + info.Begin;
        if (info.ByteLength > 0) tensor.ReadBytesFromStream(_stream);
    }

    internal static string FormatShape(IEnumerable<long> shape) => "[" + string.Join(", ", shape) + "]";

    public void Dispose() => _stream.Dispose();
}
