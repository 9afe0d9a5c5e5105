using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>
/// A UNet encoder stage: <c>forward(hidden, temb, encoder_hidden_states)</c> returns the new hidden state and the
/// outputs it pushes on the skip stack (every resnet/attention output, then the downsampler output). Each stage is
/// its own module so that it can be recomputed on its own (gradient checkpointing).
/// </summary>
public abstract class UNetDownBlock(string name) : nn.Module<Tensor, Tensor, Tensor?, (Tensor Hidden, Tensor[] Skips)>(name)
{
    /// <summary>How many skip tensors <c>forward</c> pushes.</summary>
    public abstract int SkipCount { get; }
}

/// <summary>
/// A UNet decoder stage: <c>forward(hidden, skips, temb, encoder_hidden_states, upsample_size)</c> consumes one skip
/// per resnet from the end of <c>skips</c> (the last is used first) and upsamples unless it is the final stage.
/// </summary>
public abstract class UNetUpBlock(string name) : nn.Module<Tensor, Tensor[], Tensor, Tensor?, long[]?, Tensor>(name)
{
    /// <summary>How many skip tensors <c>forward</c> consumes (its resnet count).</summary>
    public abstract int SkipCount { get; }

    public abstract bool HasUpsampler { get; }
}
