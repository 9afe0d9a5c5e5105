using Rpo.Training.Optimization;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Training.Tests;

public class ConvBackwardGuardTests
{
    static (Tensor Dx, Tensor Dw, Tensor Db) Grads(nn.Module<Tensor, Tensor> conv, Tensor x, Tensor gradOut)
    {
        var xa = x.detach().requires_grad_();
        foreach (var p in conv.parameters()) p.grad = null;
        conv.call(xa).backward([gradOut]);
        var ps = conv.parameters().ToArray();
        return (xa.grad!.to_type(ScalarType.Float64), ps[0].grad!.to_type(ScalarType.Float64), ps[1].grad!.to_type(ScalarType.Float64));
    }

    [Theory]
    [InlineData(64, 4)]
    [InlineData(64, 1)]
    [InlineData(32, 4)]
    [InlineData(16, 1)]
    public void Narrow_convolution_gradients_match_float64(long cin, long cout)
    {
        using var scope = NewDisposeScope();
        var g = new Generator(3);
        var x = randn([2, cin, 8, 8], generator: g);
        var gradOut = randn([2, cout, 8, 8], generator: g);
        var conv = nn.Conv2d(cin, cout, 3, padding: 1);
        var conv64 = nn.Conv2d(cin, cout, 3, padding: 1, dtype: ScalarType.Float64);
        using (no_grad())
        {
            conv64.weight!.copy_(conv.weight!);
            conv64.bias!.copy_(conv.bias!);
        }
        var expected = Grads(conv64, x.to_type(ScalarType.Float64), gradOut.to_type(ScalarType.Float64));
        using var guard = new ConvBackwardGuard(conv);
        Assert.Single(guard.Guarded);
        for (int i = 0; i < 5; i++)
        {
            var got = Grads(conv, x, gradOut);
            Assert.True((got.Dx - expected.Dx).abs().max().item<double>() < 1e-5);
            Assert.True((got.Dw - expected.Dw).abs().max().item<double>() < 1e-4);
            Assert.True((got.Db - expected.Db).abs().max().item<double>() < 1e-4);
        }
        // Forward output is unchanged by the guard.
        using (no_grad())
            Assert.True((conv.call(x).to_type(ScalarType.Float64) - conv64.call(x.to_type(ScalarType.Float64))).abs().max().item<double>() < 1e-5);
    }

    [Fact]
    public void Tiny_denoiser_gradients_match_its_float64_copy()
    {
        using var setup = new TinyTrainingSetup();
        using var scope = NewDisposeScope();
        var model = setup.LoadModel();
        var model64 = setup.LoadModel();
        model64.to(ScalarType.Float64);
        var g = new Generator(9);
        var x = randn([2, 4, 8, 8], generator: g);
        var text = randn([2, 7, 32], generator: g);
        var t = tensor(new long[] { 10, 700 });
        model64.call(x.to_type(ScalarType.Float64), t, text.to_type(ScalarType.Float64)).square().mean().backward();
        using var guard = new ConvBackwardGuard(model);
        Assert.Equal(["conv_out"], guard.Guarded);
        for (int i = 0; i < 3; i++)
        {
            foreach (var p in model.parameters()) p.grad = null;
            model.call(x, t, text).square().mean().backward();
            var expected = model64.named_parameters().ToDictionary(kv => kv.name, kv => kv.parameter.grad!);
            foreach (var (name, p) in model.named_parameters())
            {
                double diff = (p.grad!.to_type(ScalarType.Float64) - expected[name]).abs().max().item<double>();
                Assert.True(diff < 1e-5, $"{name}: {diff}");
            }
        }
    }
}
