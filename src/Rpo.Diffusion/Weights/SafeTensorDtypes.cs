using static TorchSharp.torch;

namespace Rpo.Diffusion.Weights;

/// <summary>The safetensors dtype names and their TorchSharp scalar types.</summary>
public static class SafeTensorDtypes
{
    static readonly (string Name, ScalarType Type, int Size)[] Table =
    [
        ("F64", ScalarType.Float64, 8), ("F32", ScalarType.Float32, 4), ("F16", ScalarType.Float16, 2),
        ("BF16", ScalarType.BFloat16, 2), ("I64", ScalarType.Int64, 8), ("I32", ScalarType.Int32, 4),
        ("I16", ScalarType.Int16, 2), ("I8", ScalarType.Int8, 1), ("U8", ScalarType.Byte, 1), ("BOOL", ScalarType.Bool, 1),
    ];

    public static ScalarType ToScalarType(string dtype) =>
        Table.FirstOrDefault(t => t.Name == dtype) is { Name: not null } t ? t.Type : throw new NotSupportedException($"safetensors dtype '{dtype}' is not supported.");

    public static string ToName(ScalarType type) =>
        Table.FirstOrDefault(t => t.Type == type) is { Name: not null } t ? t.Name : throw new NotSupportedException($"{type} cannot be stored in safetensors.");

    public static int ElementSize(string dtype) =>
        Table.FirstOrDefault(t => t.Name == dtype) is { Name: not null } t ? t.Size : throw new NotSupportedException($"safetensors dtype '{dtype}' is not supported.");

    public static bool IsFloating(ScalarType type) =>
        type is ScalarType.Float64 or ScalarType.Float32 or ScalarType.Float16 or ScalarType.BFloat16;
}
