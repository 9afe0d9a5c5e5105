using System.Text.Json;
using Rpo.Diffusion.Configs;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Diffusion.Tests.Models;

/// <summary>One ../shared/fixtures/keys/*.json file: a published config and the reference state_dict names and shapes.</summary>
sealed class KeyListFixture
{
    public required JsonElement ConfigJson { get; init; }
    public required IReadOnlyList<(string Name, long[] Shape)> Tensors { get; init; }
    public required long NumParameters { get; init; }

    public static KeyListFixture Load(string name)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(TestPaths.Fixture("keys", name + ".json")));
        var root = doc.RootElement;
        return new KeyListFixture
        {
            ConfigJson = root.GetProperty("config").Clone(),
            Tensors = root.GetProperty("tensors").EnumerateArray()
                .Select(t => (t.GetProperty("name").GetString()!, t.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()))
                .ToList(),
            NumParameters = root.GetProperty("num_parameters").GetInt64(),
        };
    }

    public T Config<T>() => Rpo.Diffusion.Configs.ConfigJson.Parse<T>(ConfigJson.GetRawText());

    /// <summary>Asserts the module's state_dict has exactly the reference names, each with the reference shape.</summary>
    public void AssertMatches(nn.Module module)
    {
        var got = module.state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.shape, StringComparer.Ordinal);
        var expected = Tensors.ToDictionary(t => t.Name, t => t.Shape, StringComparer.Ordinal);
        var missing = expected.Keys.Except(got.Keys).Order(StringComparer.Ordinal).ToList();
        var extra = got.Keys.Except(expected.Keys).Order(StringComparer.Ordinal).ToList();
        var wrongShape = expected.Keys.Intersect(got.Keys)
            .Where(k => !expected[k].SequenceEqual(got[k]))
            .Select(k => $"{k}: [{string.Join(", ", got[k])}] vs [{string.Join(", ", expected[k])}]")
            .ToList();
        Assert.True(missing.Count == 0, $"{missing.Count} missing: {string.Join(", ", missing.Take(20))}");
        Assert.True(extra.Count == 0, $"{extra.Count} unexpected: {string.Join(", ", extra.Take(20))}");
        Assert.True(wrongShape.Count == 0, $"{wrongShape.Count} of another shape: {string.Join("; ", wrongShape.Take(20))}");
        Assert.Equal(NumParameters, got.Values.Sum(s => s.Aggregate(1L, (a, b) => a * b)));
    }
}
