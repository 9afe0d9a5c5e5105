namespace Rpo.Diffusion.Weights;

/// <summary>A weight file that does not fit its model: names the missing, unexpected and mismatched keys.</summary>
public sealed class WeightLoadException(string message) : Exception(message);
