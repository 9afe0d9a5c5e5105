using System.Text;
using System.Text.Json;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Weights;

/// <summary>Writes <c>.safetensors</c> files as the Python library does: sorted names, header padded to 8 bytes.</summary>
public static class SafeTensorsWriter
{
    /// <param name="floatDtype">When given, floating-point tensors are stored in this dtype (converted one at a time as written).</param>
    public static void Write(string path, IEnumerable<KeyValuePair<string, Tensor>> tensors, IReadOnlyDictionary<string, string>? metadata = null,
        ScalarType? floatDtype = null)
    {
        var entries = tensors.OrderBy(t => t.Key, StringComparer.Ordinal).ToList();
        var header = new Dictionary<string, object>(StringComparer.Ordinal);
        if (metadata is { Count: > 0 }) header["__metadata__"] = metadata;
        long offset = 0;
        foreach (var (name, tensor) in entries)
        {
            var dtype = StoredDtype(tensor, floatDtype);
            long bytes = tensor.numel() * SafeTensorDtypes.ElementSize(SafeTensorDtypes.ToName(dtype));
            header[name] = new { dtype = SafeTensorDtypes.ToName(dtype), shape = tensor.shape, data_offsets = new[] { offset, offset + bytes } };
            offset += bytes;
        }
        byte[] json = Encoding.UTF8.GetBytes(JsonSerializer.Serialize(header));
        int padded = (json.Length + 7) / 8 * 8;

        string temp = path + ".tmp";
        using (var stream = new FileStream(temp, FileMode.Create, FileAccess.Write, FileShare.None, 1 << 20))
        {
            stream.Write(BitConverter.GetBytes((ulong)padded));
            stream.Write(json);
            for (int i = json.Length; i < padded; i++) stream.WriteByte((byte)' ');
            foreach (var (_, tensor) in entries)
            {
                // One tensor at a time through a contiguous CPU view: a model is never copied whole.
                using var cpu = tensor.detach().to(StoredDtype(tensor, floatDtype), CPU).contiguous();
                cpu.WriteBytesToStream(stream);
            }
        }
        File.Move(temp, path, overwrite: true);
    }

    static ScalarType StoredDtype(Tensor tensor, ScalarType? floatDtype) =>
        floatDtype is { } f && SafeTensorDtypes.IsFloating(tensor.dtype) ? f : tensor.dtype;
}
