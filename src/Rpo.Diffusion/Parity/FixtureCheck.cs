namespace Rpo.Diffusion.Parity;

/// <summary>The outcome of one case: every stored output compared, or why the case could not run.</summary>
public sealed record FixtureReport(string Folder, string Name, string ModelClass, IReadOnlyList<TensorComparison> Comparisons, string? Error = null)
{
    public bool Pass => Error is null && Comparisons.Count > 0 && Comparisons.All(c => c.Pass);
}

/// <summary>Checks reference case folders against the runners that know their model classes.</summary>
public sealed class FixtureCheck(IEnumerable<IFixtureRunner> runners)
{
    readonly Dictionary<string, IFixtureRunner> _byClass = runners
        .SelectMany(r => r.ModelClasses.Select(c => (Class: c, Runner: r)))
        .ToDictionary(x => x.Class, x => x.Runner, StringComparer.Ordinal);

    public IReadOnlyCollection<string> KnownModelClasses => _byClass.Keys;

    /// <summary>The case folders at or below <paramref name="path"/>: itself when it holds case.json, else its sub-folders that do.</summary>
    public static IReadOnlyList<string> FindCases(string path)
    {
        if (File.Exists(Path.Combine(path, "case.json"))) return [Path.GetFullPath(path)];
        if (!Directory.Exists(path)) throw new DirectoryNotFoundException($"{path} does not exist.");
        return Directory.EnumerateFiles(path, "case.json", SearchOption.AllDirectories)
            .Select(f => Path.GetDirectoryName(Path.GetFullPath(f))!)
            .Order(StringComparer.Ordinal)
            .ToList();
    }

    public FixtureReport Check(string folder)
    {
        using var fixture = FixtureCase.Load(folder);
        if (!_byClass.TryGetValue(fixture.ModelClass, out var runner))
            return new FixtureReport(folder, fixture.Name, fixture.ModelClass, [],
                $"no runner for model_class '{fixture.ModelClass}' (known: {string.Join(", ", _byClass.Keys.Order(StringComparer.Ordinal))})");
        IReadOnlyDictionary<string, TorchSharp.torch.Tensor> produced;
        using (var scope = TorchSharp.torch.NewDisposeScope())
        {
            produced = runner.Run(fixture);
            var comparisons = fixture.Outputs.Keys.Order(StringComparer.Ordinal)
                .Select(name => produced.TryGetValue(name, out var got)
                    ? fixture.Compare(name, got)
                    : new TensorComparison(name, double.NaN, double.NaN, fixture.AtolFor(name), fixture.RtolFor(name), false, "not produced by the runner"))
                .ToList();
            return new FixtureReport(folder, fixture.Name, fixture.ModelClass, comparisons);
        }
    }
}
