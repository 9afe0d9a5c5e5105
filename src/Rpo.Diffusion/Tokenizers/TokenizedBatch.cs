using static TorchSharp.torch;

namespace Rpo.Diffusion.Tokenizers;

/// <summary>Token ids and attention mask (1 = text, 0 = padding) of a batch, one row per text.</summary>
public sealed record TokenizedBatch(IReadOnlyList<long[]> InputIds, IReadOnlyList<long[]> AttentionMask)
{
    public int Count => InputIds.Count;

    /// <summary>The ids as an int64 tensor [batch, length]; the rows must have one length (pad the batch).</summary>
    public Tensor InputIdsTensor(Device? device = null) => ToTensor(InputIds, nameof(InputIds), device);

    /// <summary>The attention mask as an int64 tensor [batch, length], as transformers returns it.</summary>
    public Tensor AttentionMaskTensor(Device? device = null) => ToTensor(AttentionMask, nameof(AttentionMask), device);

    static Tensor ToTensor(IReadOnlyList<long[]> rows, string what, Device? device)
    {
        if (rows.Count == 0) throw new InvalidOperationException($"The batch is empty: there is no {what} tensor to make.");
        int length = rows[0].Length;
        if (rows.Any(r => r.Length != length))
            throw new InvalidOperationException(
                $"The rows have different lengths ({string.Join(", ", rows.Select(r => r.Length).Distinct())}): encode with padding to make a {what} tensor.");
        var flat = new long[rows.Count * length];
        for (int i = 0; i < rows.Count; i++) rows[i].CopyTo(flat, i * length);
        var t = tensor(flat, [rows.Count, length], ScalarType.Int64);
        return device is null ? t : t.to(device);
    }
}
