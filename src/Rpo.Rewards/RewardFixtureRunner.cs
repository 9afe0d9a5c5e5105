using System.Text.Json;
using Rpo.Diffusion.Parity;
using TorchSharp;
using static TorchSharp.torch;

namespace Rpo.Rewards;

/// <summary>
/// Runs <c>rpo.LambdaHarmonicReward</c> cases end to end from the folder's image files: processor -> pixel values,
/// tokenizer -> ids, encoder -> features, then cos_i2i / cos_t2i, s_img, s_txt, R_λ for each of the case's
/// <c>lambdas</c>, and the preference pairs' reference scores and probabilities for each of its
/// <c>preference_lambdas</c>. The texts are the case's <c>text_prompts</c> exactly as recorded (the text the
/// reference encoded, identifier included).
/// </summary>
public sealed class RewardFixtureRunner : IFixtureRunner
{
    public IReadOnlyCollection<string> ModelClasses { get; } = ["rpo.LambdaHarmonicReward"];

    public IReadOnlyDictionary<string, Tensor> Run(FixtureCase fixture)
    {
        using var model = RewardModel.FromPretrained(fixture.Folder);
        if (fixture.Json.TryGetProperty("encoder", out var encoder) && encoder.GetString() is { } named
            && !string.Equals(named, model.Kind.ToString(), StringComparison.OrdinalIgnoreCase))
            throw new InvalidDataException($"{fixture.Name}: case.json names encoder '{named}' but the folder holds a {model.Kind} model.");
        FixtureImages.CheckDecodedJpegs(fixture);
        var references = RewardModel.ReadImages(FixtureImages.Files(fixture, "reference"));
        var candidates = RewardModel.ReadImages(FixtureImages.Files(fixture, "candidates"));
        var texts = FixtureImages.Strings(fixture, "text_prompts");

        using var _ = no_grad();
        var outputs = new Dictionary<string, Tensor>(StringComparer.Ordinal);
        var pixelsRef = outputs["pixel_values_reference"] = model.PixelValues(references);
        var pixelsCand = outputs["pixel_values_candidates"] = model.PixelValues(candidates);
        var inputs = model.Tokenize(texts);
        outputs["input_ids"] = inputs.InputIds;
        outputs["attention_mask"] = inputs.AttentionMask;
        if (inputs.TokenTypeIds is { } types) outputs["token_type_ids"] = types;

        var featRef = outputs["image_features_reference"] = model.ImageFeatures(pixelsRef);
        var featCand = outputs["image_features_candidates"] = model.ImageFeatures(pixelsCand);
        var text = outputs["text_features"] = model.TextFeatures(inputs);
        outputs["cos_i2i"] = LambdaHarmonicReward.CosineMatrix(featRef, featCand);
        outputs["cos_t2i"] = LambdaHarmonicReward.TextCosine(text, featCand);
        var sImg = outputs["s_img"] = LambdaHarmonicReward.ImageScore(featRef, featCand);
        var sTxt = outputs["s_txt"] = LambdaHarmonicReward.TextScore(text, featCand);
        foreach (var (key, lambda) in Lambdas(fixture, "lambdas"))
            outputs[$"reward.{key}"] = LambdaHarmonicReward.Combine(sImg, sTxt, lambda);

        var (index, pairSImg, pairSTxt) = LambdaHarmonicReward.PairReferenceScores(featRef, text);
        outputs["pair_reference_index"] = index;
        outputs["pair_reference_s_img"] = pairSImg;
        outputs["pair_reference_s_txt"] = pairSTxt;
        foreach (var (key, lambda) in Lambdas(fixture, "preference_lambdas"))
        {
            var referenceReward = outputs[$"pair_reference_reward.{key}"] = LambdaHarmonicReward.Combine(pairSImg, pairSTxt, lambda);
            var generatedReward = LambdaHarmonicReward.Combine(sImg, sTxt, lambda);
            outputs[$"preference_prob.{key}"] = LambdaHarmonicReward.PreferenceProbability(referenceReward, generatedReward);
        }
        return outputs;
    }

    // The output names carry λ as case.json writes it ("0", "0.3", "1").
    static IEnumerable<(string Key, double Lambda)> Lambdas(FixtureCase fixture, string property) =>
        fixture.Json.TryGetProperty(property, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(e => (e.GetRawText(), e.GetDouble())).ToList()
            : [];
}

/// <summary>The image files and strings a reward or metrics case.json lists.</summary>
public static class FixtureImages
{
    /// <summary>The files of case.json's <c>images</c> with the given role, in listed order, as full paths.</summary>
    public static IReadOnlyList<string> Files(FixtureCase fixture, string role)
    {
        if (!fixture.Json.TryGetProperty("images", out var images) || images.ValueKind != JsonValueKind.Array)
            throw new InvalidDataException($"{fixture.Name}: case.json lists no images.");
        var files = images.EnumerateArray()
            .Where(i => i.GetProperty("role").GetString() == role)
            .Select(i => Path.Combine(fixture.Folder, i.GetProperty("file").GetString()!))
            .ToList();
        if (files.Count == 0) throw new InvalidDataException($"{fixture.Name}: case.json lists no '{role}' images.");
        return files;
    }

    /// <summary>
    /// Checks the decoded JPEGs a case stores (<c>input.jpeg_rgb.&lt;role&gt;_&lt;NN&gt;</c>, [H, W, 3] uint8 values)
    /// against our decoder, so a decoder difference is reported as such rather than as a feature mismatch.
    /// </summary>
    public static void CheckDecodedJpegs(FixtureCase fixture)
    {
        const string prefix = "jpeg_rgb.";
        foreach (var (name, expected) in fixture.Inputs.Where(i => i.Key.StartsWith(prefix, StringComparison.Ordinal)))
        {
            string id = name[prefix.Length..];
            int cut = id.LastIndexOf('_');
            string role = id[..cut], stem = id[(cut + 1)..];
            var file = Files(fixture, role).FirstOrDefault(f => Path.GetFileNameWithoutExtension(f) == stem)
                ?? throw new InvalidDataException($"{fixture.Name}: input {name} names no listed '{role}' image '{stem}'.");
            var image = Diffusion.Imaging.ImageFile.ReadRgb(file);
            using var got = torch.tensor(image.Pixels, [image.Height, image.Width, 3]).to_type(ScalarType.Int64);
            if (!got.shape.SequenceEqual(expected.shape) || !got.eq(expected).all().item<bool>())
                throw new InvalidDataException($"{fixture.Name}: {file} decodes differently from the reference's libjpeg-turbo pixels ({name}).");
        }
    }

    public static IReadOnlyList<string> Strings(FixtureCase fixture, string property) =>
        fixture.Json.TryGetProperty(property, out var list) && list.ValueKind == JsonValueKind.Array
            ? list.EnumerateArray().Select(e => e.GetString()!).ToList()
            : throw new InvalidDataException($"{fixture.Name}: case.json has no '{property}' list.");
}
