using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>
/// diffusers <c>Timesteps</c> / <c>get_timestep_embedding</c>: sinusoidal features of the (integer or fractional)
/// timestep, <c>exp(-ln(10000) * i / (half - freq_shift))</c> frequencies, <c>[sin, cos]</c> or <c>[cos, sin]</c>
/// when <c>flip_sin_to_cos</c>. No parameters.
/// </summary>
public sealed class Timesteps : nn.Module<Tensor, Tensor>
{
    readonly long numChannels;
    readonly bool flipSinToCos;
    readonly double freqShift;

    public Timesteps(long numChannels, bool flipSinToCos, double freqShift) : base(nameof(Timesteps))
    {
        this.numChannels = numChannels;
        this.flipSinToCos = flipSinToCos;
        this.freqShift = freqShift;
        RegisterComponents();
    }

    /// <param name="timesteps">[B], any numeric dtype.</param>
    /// <returns>[B, num_channels] float32.</returns>
    public override Tensor forward(Tensor timesteps)
    {
        if (timesteps.dim() != 1) throw new ArgumentException($"timesteps must be 1-D, got {timesteps.dim()}-D.");
        using var scope = NewDisposeScope();
        long half = numChannels / 2;
        // Op order as diffusers: a float32 arange times the python float -ln(10000), then divided.
        var exponent = arange(0, half, dtype: ScalarType.Float32, device: timesteps.device) * -Math.Log(10000.0);
        exponent = exponent / (half - freqShift);
        var emb = timesteps[.., TensorIndex.None].to(ScalarType.Float32) * exponent.exp()[TensorIndex.None, ..];
        emb = cat([emb.sin(), emb.cos()], dim: -1);
        if (flipSinToCos) emb = cat([emb.narrow(1, half, half), emb.narrow(1, 0, half)], dim: -1);
        if (numChannels % 2 == 1) emb = nn.functional.pad(emb, [0, 1, 0, 0]);
        return emb.MoveToOuterDisposeScope();
    }
}

/// <summary>diffusers <c>TimestepEmbedding</c>: <c>linear_2(act(linear_1(x)))</c>.</summary>
public sealed class TimestepEmbedding : nn.Module<Tensor, Tensor>
{
    readonly TorchSharp.Modules.Linear linear_1;
    readonly nn.Module<Tensor, Tensor> act;
    readonly TorchSharp.Modules.Linear linear_2;

    public TimestepEmbedding(long inChannels, long timeEmbedDim, string actFn, Device? device = null, ScalarType? dtype = null)
        : base(nameof(TimestepEmbedding))
    {
        linear_1 = nn.Linear(inChannels, timeEmbedDim, hasBias: true, device: device, dtype: dtype);
        act = Layers.Activation(actFn, "act_fn");
        linear_2 = nn.Linear(timeEmbedDim, timeEmbedDim, hasBias: true, device: device, dtype: dtype);
        RegisterComponents();
    }

    public override Tensor forward(Tensor sample)
    {
        using var scope = NewDisposeScope();
        return linear_2.call(act.call(linear_1.call(sample))).MoveToOuterDisposeScope();
    }
}
