using System.Text.Json;
using System.Text.Json.Nodes;

namespace Rpo.Diffusion.Configs;

/// <summary>
/// Writes config records back as the Hugging Face libraries do, with the identity keys a loader dispatches on:
/// diffusers' <c>_class_name</c> / <c>_diffusers_version</c>, transformers' <c>architectures</c> / <c>model_type</c>.
/// </summary>
public static class ConfigWriter
{
    /// <summary>The diffusers release whose layout and defaults this port follows.</summary>
    public const string DiffusersVersion = "0.25.1";
    public const string TransformersVersion = "4.36.2";

    public static void WriteDiffusers<T>(T config, string path, string className) =>
        Write(config, path, new JsonObject { ["_class_name"] = className, ["_diffusers_version"] = DiffusersVersion });

    public static void WriteTransformers<T>(T config, string path, string architecture, string modelType) =>
        Write(config, path, new JsonObject
        {
            ["architectures"] = new JsonArray(architecture),
            ["model_type"] = modelType,
            ["transformers_version"] = TransformersVersion,
        });

    static void Write<T>(T config, string path, JsonObject identity)
    {
        var body = JsonSerializer.SerializeToNode(config, ConfigJson.Options)?.AsObject()
            ?? throw new InvalidOperationException($"{typeof(T).Name} did not serialise to a JSON object.");
        foreach (var (key, value) in body.ToList())
        {
            body.Remove(key);
            identity[key] = value;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(Path.GetFullPath(path))!);
        File.WriteAllText(path, identity.ToJsonString(ConfigJson.Options));
    }
}
