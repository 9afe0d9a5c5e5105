using Rpo.Diffusion.Weights;
using Rpo.Rewards.Encoders.Clip;
using Rpo.Tests.Shared;
using static TorchSharp.torch;

namespace Rpo.Rewards.Tests.Encoders;

public class ClipModelTests
{
    [Fact]
    public void Checkpoints_with_legacy_position_ids_load_and_other_extra_keys_do_not()
    {
        string folder = TestPaths.Fixture("clip-tiny");
        string dir = Directory.CreateTempSubdirectory("clip-legacy-").FullName;
        try
        {
            var tensors = new Dictionary<string, Tensor>();
            using (var file = SafeTensorsFile.Open(Path.Combine(folder, "model.safetensors")))
                foreach (var name in file.Tensors.Keys)
                    tensors[name] = file.Read(name);
            tensors["text_model.embeddings.position_ids"] = arange(77, dtype: ScalarType.Int64).unsqueeze(0);
            tensors["vision_model.embeddings.position_ids"] = arange(65, dtype: ScalarType.Int64).unsqueeze(0);
            string legacy = Path.Combine(dir, "legacy.safetensors");
            SafeTensorsWriter.Write(legacy, tensors);
            using var model = CLIPModel.FromFiles(Path.Combine(folder, "config.json"), legacy);
            Assert.Equal(16, model.EmbeddingDim);

            tensors["vision_model.unexpected.weight"] = zeros(2);
            string extra = Path.Combine(dir, "extra.safetensors");
            SafeTensorsWriter.Write(extra, tensors);
            Assert.Throws<WeightLoadException>(() => CLIPModel.FromFiles(Path.Combine(folder, "config.json"), extra));
            foreach (var t in tensors.Values) t.Dispose();
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void Pixel_values_of_another_size_are_refused()
    {
        using var model = CLIPModel.FromPretrained(TestPaths.Fixture("clip-tiny"));
        using var pixels = zeros(1, 3, 48, 48);
        var error = Assert.Throws<ArgumentException>(() => model.GetImageFeatures(pixels));
        Assert.Contains("image_size", error.Message);
    }
}
