using static TorchSharp.torch;

namespace Rpo.Diffusion.Parity;

/// <summary>
/// Runs one kind of reference case (dispatched on case.json's <c>model_class</c>): loads what the folder holds,
/// feeds the stored inputs as the case's <c>call</c> says, and returns the produced outputs by name.
/// </summary>
public interface IFixtureRunner
{
    IReadOnlyCollection<string> ModelClasses { get; }

    IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture);
}
