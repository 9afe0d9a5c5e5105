using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace Rpo.Training.Optimization;

/// <summary>
/// Works around wrong input gradients of float32 CPU convolutions in LibTorch 2.10 (TorchSharp 0.107) on this class of
/// machine: for a 3×3 convolution with few output channels (the UNet's conv_out, C→4) the backward's grad_input is
/// wrong — off by O(1), NaN at times, different from run to run — while float64 and wide layers are right (measured:
/// 64→1/3/4/8 and 16→1 wrong, ≥16 outputs right; conv_transpose2d, the same kernel, is wrong the same way).
/// On CPU, each affected Conv2d of the trained model gets a forward hook that returns the same output through
/// <see cref="Float64ConvBackward"/>, whose backward recomputes the layer's gradients in float64.
/// </summary>
public sealed class ConvBackwardGuard : IDisposable
{
    /// <summary>Convolutions with fewer output channels than this take the float64 backward.</summary>
    public const long NarrowOutputChannels = 16;

    readonly List<Action> removers = [];

    public ConvBackwardGuard(nn.Module model)
    {
        foreach (var (name, module) in model.named_modules().Prepend(("", model)))
        {
            if (module is not Conv2d conv || conv.out_channels >= NarrowOutputChannels) continue;
            if (conv.weight!.device_type != DeviceType.CPU) continue;
            if (conv.padding_mode != PaddingModes.Zeros || conv.padding_type is not null)
                throw new NotSupportedException($"{name}: only zero, explicit padding is covered by the CPU convolution workaround.");
            var remover = conv.register_forward_hook((_, input, output) => Recompute(conv, input, output));
            removers.Add(remover.remove);
            Guarded.Add(name);
        }
    }

    /// <summary>The module names that take the float64 backward.</summary>
    public List<string> Guarded { get; } = [];

    static Tensor Recompute(Conv2d conv, Tensor input, Tensor output)
    {
        if (!is_grad_enabled() || !(input.requires_grad || conv.weight!.requires_grad)) return output;
        output.Dispose();
        return autograd.SingleTensorFunction<Float64ConvBackward>.apply(input, conv.weight!, conv.bias!, conv);
    }

    public void Dispose()
    {
        foreach (var remove in removers) remove();
        removers.Clear();
    }
}

/// <summary>conv2d forward as usual; the backward recomputes the layer in float64 and casts the gradients back.</summary>
public sealed class Float64ConvBackward : autograd.SingleTensorFunction<Float64ConvBackward>
{
    public override string Name => nameof(Float64ConvBackward);

    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var input = (Tensor)vars[0];
        var weight = (Tensor)vars[1];
        var bias = vars[2] as Tensor;
        var conv = (Conv2d)vars[3];
        ctx.save_for_backward(bias is null ? [input, weight] : [input, weight, bias]);
        ctx.save_data("conv", conv);
        return nn.functional.conv2d(input, weight, bias, conv.stride, conv.padding, conv.dilation, conv.groups);
    }

    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor gradOutput)
    {
        var saved = ctx.get_saved_variables();
        var conv = (Conv2d)ctx.get_data("conv");
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var x = saved[0].detach().to_type(ScalarType.Float64).requires_grad_();
        var w = saved[1].detach().to_type(ScalarType.Float64).requires_grad_();
        var b = saved.Count > 2 ? saved[2].detach().to_type(ScalarType.Float64).requires_grad_() : null;
        var y = nn.functional.conv2d(x, w, b, conv.stride, conv.padding, conv.dilation, conv.groups);
        var inputs = b is null ? new[] { x, w } : new[] { x, w, b };
        var grads = autograd.grad([y], inputs, [gradOutput.to_type(ScalarType.Float64)]);
        var result = new List<Tensor>
        {
            grads[0].to_type(saved[0].dtype).MoveToOuterDisposeScope(),
            grads[1].to_type(saved[1].dtype).MoveToOuterDisposeScope(),
        };
        result.Add(b is null ? null! : grads[2].to_type(saved[2].dtype).MoveToOuterDisposeScope());
        result.Add(null!);
        return result;
    }
}
