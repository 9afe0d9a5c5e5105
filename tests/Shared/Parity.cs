using Rpo.Diffusion.Parity;
using TorchSharp;

namespace Rpo.Tests.Shared;

/// <summary>Assertions of numerical parity with a fixture case's stored outputs, at the case's own tolerance.</summary>
public static class Parity
{
    public static TensorComparison AssertClose(FixtureCase fixture, string output, torch.Tensor got)
    {
        var result = fixture.Compare(output, got);
        Console.WriteLine($"[{fixture.Name}] {result}");
        Assert.True(result.Pass, $"[{fixture.Name}] {result}");
        return result;
    }
}
