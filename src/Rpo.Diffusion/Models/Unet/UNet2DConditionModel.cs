using TorchSharp;
using TorchSharp.Modules;
using Rpo.Diffusion.Models.Blocks;
using Rpo.Diffusion.Weights;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Models.Unet;

/// <summary>
/// diffusers <c>UNet2DConditionModel</c> (0.25.1) for the Stable Diffusion 1.x / 2.x families: sinusoidal timestep
/// embedding → MLP, conv_in, encoder stages (their outputs on a skip stack), mid block, decoder stages consuming the
/// skips, GroupNorm → act → conv_out. Parameter names are the diffusers state_dict keys. Differentiable end to end;
/// each stage is its own module (<see cref="DownBlocks"/>, <see cref="MidBlock"/>, <see cref="UpBlocks"/>).
/// </summary>
public sealed class UNet2DConditionModel : nn.Module<Tensor, Tensor, Tensor, Tensor>
{
    readonly Conv2d conv_in;
    readonly Timesteps time_proj;
    readonly TimestepEmbedding time_embedding;
    readonly ModuleList<UNetDownBlock> down_blocks;
    readonly UNetMidBlock2DCrossAttn? mid_block;
    readonly ModuleList<UNetUpBlock> up_blocks;
    readonly GroupNorm conv_norm_out;
    readonly nn.Module<Tensor, Tensor> conv_act;
    readonly Conv2d conv_out;
    readonly int numUpsamplers;

    public UNet2DConditionConfig Config { get; }

    /// <param name="device">Where to allocate the parameters (the meta device builds a full-size model without memory).</param>
    public UNet2DConditionModel(UNet2DConditionConfig config, Device? device = null, ScalarType? dtype = null)
        : base(nameof(UNet2DConditionModel))
    {
        config.EnsureSupported();
        Config = config;
        int blocks = config.DownBlockTypes.Count;
        var channels = config.BlockOutChannels;
        // attention_head_dim holds the head count (see the config); the mid block uses the last entry.
        var heads = config.AttentionHeadDim.Expand(blocks, "attention_head_dim");
        var onlyCross = config.OnlyCrossAttention.Expand(blocks, "only_cross_attention");
        var layers = config.LayersPerBlock.Expand(blocks, "layers_per_block");
        var crossDim = config.CrossAttentionDim.Expand(blocks, "cross_attention_dim");
        var transformerLayers = config.TransformerLayersPerBlock.Expand(blocks, "transformer_layers_per_block");
        int groups = config.NormNumGroups!.Value;

        conv_in = nn.Conv2d(config.InChannels, channels[0], config.ConvInKernel, padding: (config.ConvInKernel - 1) / 2,
            device: device, dtype: dtype);
        long timeEmbedDim = config.TimeEmbeddingDim ?? channels[0] * 4;
        time_proj = new Timesteps(channels[0], config.FlipSinToCos, config.FreqShift);
        time_embedding = new TimestepEmbedding(channels[0], timeEmbedDim, config.ActFn, device, dtype);

        // diffusers' get_down_block/get_up_block pass neither resnet_out_scale_factor nor an output scale to the
        // block types supported here, so their resnets always divide by 1; only the mid block takes its factor.
        var resnet = new ResnetOptions(timeEmbedDim, groups, config.NormEps, config.ActFn, config.Dropout,
            OutputScaleFactor: 1.0, device, dtype);
        CrossAttentionOptions Attention(int i, bool onlyCrossAttention) => new(heads[i], crossDim[i], transformerLayers[i],
            config.UseLinearProjection, onlyCrossAttention, config.UpcastAttention);

        var down = new List<UNetDownBlock>();
        for (int i = 0; i < blocks; i++)
        {
            long input = i == 0 ? channels[0] : channels[i - 1];
            bool final = i == blocks - 1;
            down.Add(UNet2DConditionConfig.BlockKind(config.DownBlockTypes[i]) switch
            {
                "CrossAttnDownBlock2D" => new CrossAttnDownBlock2D(input, channels[i], layers[i], !final, config.DownsamplePadding,
                    resnet, Attention(i, onlyCross[i])),
                _ => new DownBlock2D(input, channels[i], layers[i], !final, config.DownsamplePadding, resnet),
            });
        }
        down_blocks = nn.ModuleList(down.ToArray());

        if (config.MidBlockType is not null)
            mid_block = new UNetMidBlock2DCrossAttn(channels[^1], resnet with { OutputScaleFactor = config.MidBlockScaleFactor },
                // The cross-attention mid block has no only_cross_attention switch in diffusers.
                Attention(blocks - 1, onlyCrossAttention: false), transformerLayers[^1]);

        var up = new List<UNetUpBlock>();
        long output = channels[^1];
        for (int i = 0; i < blocks; i++)
        {
            int r = blocks - 1 - i; // the encoder stage this decoder stage mirrors
            long prevOutput = output;
            output = channels[r];
            long input = channels[Math.Max(r - 1, 0)];
            bool final = i == blocks - 1;
            if (!final) numUpsamplers++;
            up.Add(UNet2DConditionConfig.BlockKind(config.UpBlockTypes[i]) switch
            {
                "CrossAttnUpBlock2D" => new CrossAttnUpBlock2D(input, prevOutput, output, layers[r] + 1, !final, resnet,
                    Attention(r, onlyCross[r])),
                _ => new UpBlock2D(input, prevOutput, output, layers[r] + 1, !final, resnet),
            });
        }
        up_blocks = nn.ModuleList(up.ToArray());

        conv_norm_out = Layers.GroupNorm(groups, channels[0], config.NormEps, device, dtype);
        conv_act = Layers.Activation(config.ActFn, "act_fn");
        conv_out = nn.Conv2d(channels[0], config.OutChannels, config.ConvOutKernel, padding: (config.ConvOutKernel - 1) / 2,
            device: device, dtype: dtype);
        RegisterComponents();
    }

    public IReadOnlyList<UNetDownBlock> DownBlocks => [.. down_blocks];
    public nn.Module<Tensor, Tensor, Tensor?, Tensor>? MidBlock => mid_block;
    public IReadOnlyList<UNetUpBlock> UpBlocks => [.. up_blocks];

    /// <summary>Reads <c>config.json</c> and <c>diffusion_pytorch_model.safetensors</c> of a diffusers UNet folder; eval mode.</summary>
    public static UNet2DConditionModel FromPretrained(string folder, ScalarType dtype = ScalarType.Float32, Device? device = null)
    {
        var config = UNet2DConditionConfig.Load(Path.Combine(folder, "config.json"));
        var model = new UNet2DConditionModel(config, device, dtype);
        try
        {
            ModuleWeights.Load(model, Path.Combine(folder, "diffusion_pytorch_model.safetensors"));
        }
        catch
        {
            model.Dispose();
            throw;
        }
        model.eval();
        return model;
    }

    /// <summary>The noise (or v) prediction.</summary>
    /// <param name="sample">Noisy latents [B, in_channels, H, W].</param>
    /// <param name="timestep">0-d or [B], integer or float; a single value applies to the whole batch.</param>
    /// <param name="encoderHiddenStates">Text conditioning [B, tokens, cross_attention_dim].</param>
    public override Tensor forward(Tensor sample, Tensor timestep, Tensor encoderHiddenStates)
    {
        using var scope = NewDisposeScope();
        long batch = sample.shape[0];
        long overallUp = 1L << numUpsamplers;
        // Odd-sized latents: each upsampler must then match its skip's size instead of doubling.
        bool forwardUpsampleSize = sample.shape[^2] % overallUp != 0 || sample.shape[^1] % overallUp != 0;

        var x = Config.CenterInputSample ? 2 * sample - 1.0 : sample;

        var t = timestep.dim() switch
        {
            0 => timestep.reshape(1),
            1 => timestep,
            _ => throw new ArgumentException($"timestep must be 0-d or [B], got shape [{string.Join(", ", timestep.shape)}]."),
        };
        t = t.to(sample.device).expand(batch);
        var emb = time_embedding.call(time_proj.call(t).to(sample.dtype));

        x = conv_in.call(x);
        var skips = new List<Tensor> { x };
        foreach (var block in down_blocks)
        {
            var (hidden, blockSkips) = block.call(x, emb, encoderHiddenStates);
            x = hidden;
            skips.AddRange(blockSkips);
        }

        if (mid_block is not null) x = mid_block.call(x, emb, encoderHiddenStates);

        foreach (var block in up_blocks)
        {
            int n = block.SkipCount;
            var blockSkips = skips.GetRange(skips.Count - n, n).ToArray();
            skips.RemoveRange(skips.Count - n, n);
            long[]? upsampleSize = forwardUpsampleSize && block.HasUpsampler ? skips[^1].shape[2..] : null;
            x = block.call(x, blockSkips, emb, encoderHiddenStates, upsampleSize);
        }

        x = conv_out.call(conv_act.call(conv_norm_out.call(x)));
        return x.MoveToOuterDisposeScope();
    }
}
