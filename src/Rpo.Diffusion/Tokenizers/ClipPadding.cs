namespace Rpo.Diffusion.Tokenizers;

/// <summary>How <see cref="ClipTokenizer.EncodeBatch"/> pads, as transformers' <c>padding=</c> argument.</summary>
public enum ClipPadding
{
    /// <summary>No padding: rows keep their own lengths (<c>padding=False</c>).</summary>
    None,
    /// <summary>Pad every row to the longest row of the batch (<c>padding="longest"</c>, <c>padding=True</c>).</summary>
    Longest,
    /// <summary>Pad every row to the maximum length, 77 for CLIP (<c>padding="max_length"</c>), as the SD pipelines do.</summary>
    MaxLength,
}
