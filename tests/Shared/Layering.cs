using System.Reflection;

namespace Rpo.Tests.Shared;

/// <summary>
/// The house's one-way arrows (ARCHITECTURE.md: nothing below Pipeline references Azure packages; nothing above Training
/// touches tensors), read from a compiled assembly's references: the compiler records an assembly only when the code
/// names one of its types or members, so a reference is a use.
/// </summary>
public static class Layering
{
    /// <summary>The tensor side: TorchSharp.</summary>
    public static IReadOnlyList<string> Tensors { get; } = ["TorchSharp"];

    /// <summary>The Azure side: the Azure SDKs, the Functions worker, Durable Task.</summary>
    public static IReadOnlyList<string> Azure { get; } = ["Azure", "Microsoft.Azure", "Microsoft.DurableTask"];

    /// <summary>The assemblies <paramref name="assembly"/> references that are one of <paramref name="families"/> or inside one (by dotted name).</summary>
    public static IReadOnlyList<string> References(Assembly assembly, IReadOnlyList<string> families)
    {
        ArgumentNullException.ThrowIfNull(assembly);
        return [.. assembly.GetReferencedAssemblies()
            .Select(a => a.Name ?? "")
            .Where(name => families.Any(f => name == f || name.StartsWith(f + ".", StringComparison.Ordinal)))
            .Order(StringComparer.Ordinal)];
    }
}
