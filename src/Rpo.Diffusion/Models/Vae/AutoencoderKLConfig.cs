using Rpo.Diffusion.Configs;

namespace Rpo.Diffusion.Models.Vae;

/// <summary><c>config.json</c> of a diffusers <c>AutoencoderKL</c> (defaults as diffusers 0.25.1's constructor).</summary>
public sealed record AutoencoderKLConfig
{
    public int InChannels { get; init; } = 3;
    public int OutChannels { get; init; } = 3;
    public IReadOnlyList<string> DownBlockTypes { get; init; } = ["DownEncoderBlock2D"];
    public IReadOnlyList<string> UpBlockTypes { get; init; } = ["UpDecoderBlock2D"];
    public IReadOnlyList<int> BlockOutChannels { get; init; } = [64];
    public int LayersPerBlock { get; init; } = 1;
    public string ActFn { get; init; } = "silu";
    public int LatentChannels { get; init; } = 4;
    public int NormNumGroups { get; init; } = 32;
    public int SampleSize { get; init; } = 32;
    /// <summary>Latents are multiplied by this after encoding and divided by it before decoding, by the caller.</summary>
    public double ScalingFactor { get; init; } = 0.18215;
    /// <summary>The VAE overflows in float16; pipelines run it in float32 when this is set.</summary>
    public bool ForceUpcast { get; init; } = true;
    // Keys of later diffusers versions; their defaults are the 0.25.1 behaviour.
    public bool UseQuantConv { get; init; } = true;
    public bool UsePostQuantConv { get; init; } = true;
    public bool MidBlockAddAttention { get; init; } = true;
    public double? ShiftFactor { get; init; }

    public static AutoencoderKLConfig Load(string path) => ConfigJson.Load<AutoencoderKLConfig>(path);

    public static AutoencoderKLConfig Parse(string json) => ConfigJson.Parse<AutoencoderKLConfig>(json);

    /// <summary>Throws <see cref="NotSupportedException"/> naming a key whose value this implementation does not have.</summary>
    public void EnsureSupported()
    {
        foreach (var type in DownBlockTypes)
            if (type != "DownEncoderBlock2D") throw Unsupported("down_block_types", type);
        foreach (var type in UpBlockTypes)
            if (type != "UpDecoderBlock2D") throw Unsupported("up_block_types", type);
        if (ShiftFactor is double shift && shift != 0) throw Unsupported("shift_factor", shift.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (BlockOutChannels.Count == 0) throw new InvalidDataException("block_out_channels is empty.");
        if (DownBlockTypes.Count != BlockOutChannels.Count || UpBlockTypes.Count != BlockOutChannels.Count)
            throw new InvalidDataException($"down_block_types ({DownBlockTypes.Count}), up_block_types ({UpBlockTypes.Count}) and block_out_channels ({BlockOutChannels.Count}) differ in length.");
    }

    static NotSupportedException Unsupported(string key, string value) =>
        new($"AutoencoderKL config: {key} = \"{value}\" is not supported by this implementation.");
}
