using System.CommandLine;
using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Rewards;
using Spectre.Console;

namespace Rpo.Cli.Commands;

/// <summary><c>rpo score</c>: the λ-Harmonic reward of each image in a folder against a subject's reference images.</summary>
public static class ScoreCommand
{
    /// <summary>The file types <see cref="ImageFile"/> decodes.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
        { ".png", ".jpg", ".jpeg", ".bmp", ".gif" };

    public static Command Create()
    {
        var reference = new Option<DirectoryInfo>("--reference") { Description = "Folder of the subject's reference images.", Required = true };
        var images = new Option<DirectoryInfo>("--images") { Description = "Folder of the images to score (sorted by file name).", Required = true };
        var prompt = new Option<string[]>("--prompt")
        {
            Description = "The prompt the images were made from: once for all images, or once per image in file-name order. "
                + "The identifier (--identifier) is removed before encoding unless --paper-compat.",
            Required = true,
            AllowMultipleArgumentsPerToken = false,
        };
        var lambda = new Option<double>("--lambda")
        {
            Description = "λ of the harmonic mix: 1 = subject fidelity only (s_img), 0 = prompt fidelity only (s_txt).",
            DefaultValueFactory = _ => 0.3,
        };
        lambda.Validators.Add(r =>
        {
            double v = r.GetValueOrDefault<double>();
            if (!(v >= 0 && v <= 1)) r.AddError($"--lambda must lie in [0, 1], not {v}.");
        });
        var encoder = RewardEncoderOption.Create("Expected encoder family of --reward-model (align or clip); checked against its config.json.");
        var model = new Option<DirectoryInfo>("--reward-model")
        {
            Description = "A transformers CLIP or ALIGN folder (config.json, model.safetensors, preprocessor_config.json, tokenizer files).",
            Required = true,
        };
        var paperCompat = new Option<bool>("--paper-compat")
        {
            Description = "Encode the prompt as RPO's published code does: its remove_unique_token leaves '[V]' in the text. Default: strip it, as the paper describes.",
        };
        var identifier = new Option<string>("--identifier") { Description = "The subject identifier token in the prompts.", DefaultValueFactory = _ => "[V]" };
        var json = new Option<FileInfo?>("--json") { Description = "Also write the scores to this JSON file." };

        var command = new Command("score", "Score images with the λ-Harmonic reward: per image s_img (subject fidelity against the references), "
            + "s_txt (prompt fidelity) and R_λ = 1 / (λ/s_img + (1-λ)/s_txt).")
        {
            reference, images, prompt, lambda, encoder, model, paperCompat, identifier, json,
        };
        command.SetAction(parsed => Run(
            parsed.GetValue(reference)!, parsed.GetValue(images)!, parsed.GetValue(prompt)!, parsed.GetValue(lambda),
            parsed.GetValue(encoder), parsed.GetValue(model)!, parsed.GetValue(paperCompat), parsed.GetValue(identifier)!, parsed.GetValue(json)));
        return command;
    }

    /// <summary>The image files of a folder in ordinal file-name order; a user error when there are none.</summary>
    public static IReadOnlyList<string> ImageFiles(DirectoryInfo folder, string role)
    {
        if (!folder.Exists) throw new UserError($"{role} folder {folder.FullName} does not exist.");
        var files = folder.EnumerateFiles()
            .Where(f => ImageExtensions.Contains(f.Extension))
            .Select(f => f.FullName)
            .Order(StringComparer.Ordinal)
            .ToList();
        if (files.Count == 0) throw new UserError($"{role} folder {folder.FullName} holds no images ({string.Join(", ", ImageExtensions.Order())}).");
        return files;
    }

    static IReadOnlyList<RgbImage> ReadAll(IReadOnlyList<string> files)
    {
        var result = new List<RgbImage>(files.Count);
        foreach (var file in files)
        {
            try
            {
                result.Add(ImageFile.ReadRgb(file, applyExifOrientation: true));
            }
            catch (Exception e) when (e is ImageDecodeException or InvalidDataException or NotSupportedException or IOException)
            {
                throw new UserError($"{file}: not a readable image ({e.Message}).");
            }
        }
        return result;
    }

    static int Run(DirectoryInfo referenceDir, DirectoryInfo imagesDir, string[] prompts, double lambda, string? encoder,
        DirectoryInfo modelDir, bool paperCompat, string identifier, FileInfo? jsonOut)
    {
        var referenceFiles = ImageFiles(referenceDir, "reference");
        var imageFiles = ImageFiles(imagesDir, "images");
        if (prompts.Length != 1 && prompts.Length != imageFiles.Count)
            throw new UserError($"give --prompt once for all images or once per image: {prompts.Length} prompts for {imageFiles.Count} images in {imagesDir.FullName}.");
        if (!modelDir.Exists) throw new UserError($"reward model folder {modelDir.FullName} does not exist.");

        var kind = RewardEncoderOption.Check(modelDir.FullName, RewardEncoderOption.Parse(encoder), "--reward-model");

        var references = ReadAll(referenceFiles);
        var candidates = ReadAll(imageFiles);
        RewardScores scores;
        using (var rewardModel = LoadModel(modelDir.FullName))
        {
            var reward = new LambdaHarmonicReward(rewardModel, new PromptText(identifier, paperCompat));
            scores = reward.Score(references, candidates, prompts, lambda);
        }

        var table = new Table().AddColumns("image", "s_img", "s_txt", $"R_λ (λ = {lambda})");
        for (int i = 0; i < imageFiles.Count; i++)
            table.AddRow(Markup.Escape(Path.GetFileName(imageFiles[i])), $"{scores.SImg[i]:F6}", $"{scores.STxt[i]:F6}", $"{scores.Reward[i]:F6}");
        table.AddRow("[bold]mean[/]", $"{scores.SImg.Average():F6}", $"{scores.STxt.Average():F6}", $"[bold]{scores.Reward.Average():F6}[/]");
        AnsiConsole.MarkupLineInterpolated($"{kind} reward model {modelDir.FullName}, {referenceFiles.Count} reference image(s)");
        foreach (var text in scores.Texts.Distinct())
            AnsiConsole.MarkupLineInterpolated($"text encoded: \"{text}\"");
        AnsiConsole.Write(table);

        if (jsonOut is not null)
        {
            var document = new
            {
                reward_model = modelDir.FullName,
                encoder = RewardEncoderOption.Name(kind),
                lambda,
                paper_compat = paperCompat,
                identifier,
                references = referenceFiles,
                images = imageFiles.Select((f, i) => new
                {
                    file = f,
                    prompt = prompts.Length == 1 ? prompts[0] : prompts[i],
                    text = scores.Texts[i],
                    s_img = scores.SImg[i],
                    s_txt = scores.STxt[i],
                    reward = scores.Reward[i],
                }).ToList(),
                mean_reward = scores.Reward.Average(),
            };
            try
            {
                File.WriteAllText(jsonOut.FullName, JsonSerializer.Serialize(document, new JsonSerializerOptions { WriteIndented = true }));
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new UserError($"cannot write {jsonOut.FullName}: {e.Message}");
            }
            AnsiConsole.MarkupLineInterpolated($"wrote {jsonOut.FullName}");
        }
        return ExitCodes.Ok;
    }

    static RewardModel LoadModel(string folder)
    {
        try
        {
            return RewardModel.FromPretrained(folder);
        }
        catch (Exception e) when (e is FileNotFoundException or NotSupportedException or InvalidDataException or ArgumentException or Rpo.Diffusion.Weights.WeightLoadException or JsonException)
        {
            throw new UserError($"cannot load the reward model {folder}: {e.Message}");
        }
    }
}
