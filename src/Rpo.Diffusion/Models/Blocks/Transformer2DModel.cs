using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Blocks;

/// <summary>
/// diffusers <c>Transformer2DModel</c> for continuous (latent feature map) input: GroupNorm (eps 1e-6) → proj_in →
/// tokens → BasicTransformerBlocks → proj_out → feature map, plus the input. <c>use_linear_projection</c> picks
/// Linear projections applied to the tokens (SD 2.x) or 1x1 convolutions applied to the map (SD 1.x).
/// </summary>
public sealed class Transformer2DModel : nn.Module<Tensor, Tensor?, Tensor>
{
    readonly GroupNorm norm;
    readonly nn.Module<Tensor, Tensor> proj_in;
    readonly ModuleList<BasicTransformerBlock> transformer_blocks;
    readonly nn.Module<Tensor, Tensor> proj_out;
    readonly bool useLinearProjection;

    public Transformer2DModel(long numAttentionHeads, long attentionHeadDim, long inChannels, int numLayers,
        int normNumGroups, long crossAttentionDim, bool useLinearProjection, bool onlyCrossAttention = false,
        bool upcastAttention = false, double dropout = 0.0, Device? device = null, ScalarType? dtype = null)
        : base(nameof(Transformer2DModel))
    {
        long inner = numAttentionHeads * attentionHeadDim;
        norm = Layers.GroupNorm(normNumGroups, inChannels, 1e-6, device, dtype);
        proj_in = useLinearProjection
            ? nn.Linear(inChannels, inner, hasBias: true, device: device, dtype: dtype)
            : nn.Conv2d(inChannels, inner, 1, stride: 1, device: device, dtype: dtype);
        transformer_blocks = nn.ModuleList(Enumerable.Range(0, numLayers)
            .Select(_ => new BasicTransformerBlock(inner, numAttentionHeads, attentionHeadDim, crossAttentionDim, dropout,
                onlyCrossAttention, upcastAttention, device: device, dtype: dtype))
            .ToArray());
        proj_out = useLinearProjection
            ? nn.Linear(inner, inChannels, hasBias: true, device: device, dtype: dtype)
            : nn.Conv2d(inner, inChannels, 1, stride: 1, device: device, dtype: dtype);
        this.useLinearProjection = useLinearProjection;
        RegisterComponents();
    }

    public override Tensor forward(Tensor hiddenStates, Tensor? encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        long batch = hiddenStates.shape[0], height = hiddenStates.shape[2], width = hiddenStates.shape[3];
        var x = norm.call(hiddenStates);
        long inner;
        if (useLinearProjection)
        {
            inner = x.shape[1];
            x = proj_in.call(ToTokens(x, batch, height, width, inner));
        }
        else
        {
            x = proj_in.call(x);
            inner = x.shape[1];
            x = ToTokens(x, batch, height, width, inner);
        }

        foreach (var block in transformer_blocks) x = block.call(x, encoderHiddenStates);

        if (useLinearProjection)
        {
            x = proj_out.call(x);
            x = ToMap(x, batch, height, width, x.shape[2]);
        }
        else
        {
            x = proj_out.call(ToMap(x, batch, height, width, inner));
        }
        return (x + hiddenStates).MoveToOuterDisposeScope();
    }

    static Tensor ToTokens(Tensor map, long batch, long height, long width, long channels) =>
        map.permute(0, 2, 3, 1).reshape(batch, height * width, channels);

    static Tensor ToMap(Tensor tokens, long batch, long height, long width, long channels) =>
        tokens.reshape(batch, height, width, channels).permute(0, 3, 1, 2).contiguous();
}
