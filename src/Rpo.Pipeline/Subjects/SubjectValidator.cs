using System.Security.Cryptography;
using System.Text.Json;
using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Subjects;

/// <summary>
/// Checks a subject's uploads (<c>subjects/{subjectId}/</c>) before any GPU time is spent, and reports every problem
/// at once with the file it is about, so a user fixes the upload in one go (ARCHITECTURE.md, "Errors"). Only reads:
/// the uploads are never modified.
/// <list type="bullet">
/// <item>each image must decode (by its bytes, whatever its name says) and be at least <see cref="MinShortSide"/> px on
/// its short side once EXIF orientation is applied;</item>
/// <item><see cref="MinImages"/> to <see cref="MaxImages"/> images, no two identical (same bytes, or same decoded pixels);</item>
/// <item>subject.json, when present, is a <see cref="SubjectManifest"/> with no unknown key and valid options;</item>
/// <item>a class noun (from subject.json or the caller) that <see cref="SubjectClasses"/> knows.</item>
/// </list>
/// Files operating systems leave behind (.DS_Store, Thumbs.db, desktop.ini, __MACOSX/) and hidden files are skipped.
/// </summary>
public sealed class SubjectValidator
{
    public const int MinImages = 2;
    public const int MaxImages = 20;
    public const int MinShortSide = 256;

    public static IReadOnlyList<string> ImageExtensions { get; } = [".jpg", ".jpeg", ".png", ".bmp", ".gif"];

    private static readonly HashSet<string> SystemFiles = new(["Thumbs.db", "desktop.ini", "ehthumbs.db"], StringComparer.OrdinalIgnoreCase);

    private readonly IBlobStorage _storage;

    public SubjectValidator(IBlobStorage storage)
    {
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
    }

    /// <param name="classNoun">The class given by whoever started the run (e.g. <c>rpo run --class</c>); null to take subject.json's.</param>
    public async Task<SubjectValidationResult> ValidateAsync(string subjectId, string? classNoun = null, CancellationToken cancellationToken = default)
    {
        var folder = StorageLayout.SubjectFolder(subjectId);
        var problems = new List<SubjectProblem>();
        var ignored = new List<string>();
        var images = new List<BlobRef>();
        var byBytes = new Dictionary<string, string>(StringComparer.Ordinal);
        var byPixels = new Dictionary<string, string>(StringComparer.Ordinal);
        SubjectManifest? manifest = null;
        var imageFiles = 0;

        await foreach (var item in _storage.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            var name = item.Blob.RelativeTo(folder);
            if (IsIgnored(name))
            {
                ignored.Add(name);
                continue;
            }

            if (name == StorageLayout.SubjectJsonName)
            {
                var data = await _storage.ReadAsync(item.Blob, cancellationToken).ConfigureAwait(false);
                manifest = ReadManifest(data.Content, problems);
                continue;
            }

            if (!ImageExtensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase))
            {
                problems.Add(new SubjectProblem(name, $"not an image or {StorageLayout.SubjectJsonName} (images are {string.Join(", ", ImageExtensions)})"));
                continue;
            }

            imageFiles++;
            images.Add(item.Blob);
            var bytes = (await _storage.ReadAsync(item.Blob, cancellationToken).ConfigureAwait(false)).Content.ToArray();
            var bytesKey = Convert.ToHexString(SHA256.HashData(bytes));
            if (byBytes.TryGetValue(bytesKey, out var sameBytes))
            {
                problems.Add(new SubjectProblem(name, $"the same file as '{sameBytes}' (identical bytes)"));
                continue;
            }

            byBytes.Add(bytesKey, name);
            var image = Decode(name, bytes, problems);
            if (image is null)
            {
                continue;
            }

            if (Math.Min(image.Width, image.Height) < MinShortSide)
            {
                problems.Add(new SubjectProblem(
                    name,
                    $"{image.Width}x{image.Height} px (upright) is too small: the short side must be at least {MinShortSide} px"));
            }

            var pixelsKey = PixelsKey(image);
            if (byPixels.TryGetValue(pixelsKey, out var samePixels))
            {
                problems.Add(new SubjectProblem(name, $"the same image as '{samePixels}' (identical pixels)"));
            }
            else
            {
                byPixels.Add(pixelsKey, name);
            }
        }

        if (imageFiles < MinImages)
        {
            problems.Add(new SubjectProblem(SubjectProblem.WholeSubject, $"{imageFiles} image{(imageFiles == 1 ? "" : "s")} uploaded; at least {MinImages} are needed"));
        }
        else if (imageFiles > MaxImages)
        {
            problems.Add(new SubjectProblem(SubjectProblem.WholeSubject, $"{imageFiles} images uploaded; at most {MaxImages} are used, remove {imageFiles - MaxImages}"));
        }

        var noun = ResolveClassNoun(classNoun, manifest?.ClassNoun, problems);
        return new SubjectValidationResult(
            subjectId,
            noun,
            noun is not null && SubjectClasses.IsLive(noun),
            manifest?.Options ?? RunOptions.Default,
            images,
            ignored,
            problems);
    }

    /// <summary>Left by an operating system or an archiver, or hidden: not part of the upload.</summary>
    public static bool IsIgnored(string relativePath)
    {
        ArgumentNullException.ThrowIfNull(relativePath);
        var segments = relativePath.Split('/');
        return segments.Any(s => s.StartsWith('.') || s.Equals("__MACOSX", StringComparison.OrdinalIgnoreCase))
            || SystemFiles.Contains(segments[^1]);
    }

    private static RgbImage? Decode(string name, byte[] bytes, List<SubjectProblem> problems)
    {
        try
        {
            return ImageFile.DecodeRgb(bytes, applyExifOrientation: true);
        }
        catch (ImageDecodeException e)
        {
            problems.Add(new SubjectProblem(name, $"not a readable image: {e.Message.TrimEnd('.')}"));
        }
#pragma warning disable CA1031 // Whatever a decoder throws on hostile bytes is this file's problem, reported with the others.
        catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
#pragma warning restore CA1031
        {
            problems.Add(new SubjectProblem(name, $"not a readable image: {e.GetType().Name}: {e.Message.TrimEnd('.')}"));
        }

        return null;
    }

    private static string PixelsKey(RgbImage image)
    {
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Span<byte> size = stackalloc byte[8];
        BitConverter.TryWriteBytes(size, image.Width);
        BitConverter.TryWriteBytes(size[4..], image.Height);
        hash.AppendData(size);
        hash.AppendData(image.Pixels);
        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>
    /// subject.json as the validator reads it: the class noun and options, each null when absent or invalid (invalid
    /// options are not half-read). Starters read it to choose prompts and the run id before the run validates.
    /// </summary>
    public static SubjectManifest? ReadManifest(ReadOnlyMemory<byte> content) => ReadManifest(content, []);

    private static SubjectManifest? ReadManifest(ReadOnlyMemory<byte> content, List<SubjectProblem> problems)
    {
        var file = StorageLayout.SubjectJsonName;
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(content);
        }
        catch (JsonException e)
        {
            problems.Add(new SubjectProblem(file, $"not valid JSON ({e.Message})"));
            return null;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                problems.Add(new SubjectProblem(file, $"must be a JSON object, found {document.RootElement.ValueKind}"));
                return null;
            }

            string? classNoun = null;
            RunOptions? options = null;
            var ok = true;
            foreach (var property in document.RootElement.EnumerateObject())
            {
                switch (property.Name)
                {
                    case SubjectManifest.ClassNounKey when property.Value.ValueKind == JsonValueKind.String:
                        classNoun = property.Value.GetString();
                        break;
                    case SubjectManifest.ClassNounKey:
                        problems.Add(new SubjectProblem(file, $"'{SubjectManifest.ClassNounKey}' must be a string, found {property.Value.ValueKind}"));
                        ok = false;
                        break;
                    case SubjectManifest.OptionsKey:
                        options = ReadOptions(property.Value, problems);
                        ok &= options is not null;
                        break;
                    default:
                        problems.Add(new SubjectProblem(file, $"unknown key '{property.Name}' (known: {SubjectManifest.ClassNounKey}, {SubjectManifest.OptionsKey})"));
                        ok = false;
                        break;
                }
            }

            return ok ? new SubjectManifest(classNoun, options) : new SubjectManifest(classNoun, null);
        }
    }

    private static RunOptions? ReadOptions(JsonElement element, List<SubjectProblem> problems)
    {
        var file = StorageLayout.SubjectJsonName;
        if (element.ValueKind != JsonValueKind.Object)
        {
            problems.Add(new SubjectProblem(file, $"'{SubjectManifest.OptionsKey}' must be an object, found {element.ValueKind}"));
            return null;
        }

        var known = RunJson.Options.GetTypeInfo(typeof(RunOptions)).Properties.Select(p => p.Name).ToHashSet(StringComparer.Ordinal);
        var unknown = element.EnumerateObject().Select(p => p.Name).Where(n => !known.Contains(n)).ToList();
        foreach (var name in unknown)
        {
            problems.Add(new SubjectProblem(file, $"unknown option '{name}' (options: {string.Join(", ", known.Order(StringComparer.Ordinal))})"));
        }

        RunOptions? options;
        try
        {
            options = element.Deserialize<RunOptions>(RunJson.Options);
        }
        catch (JsonException e)
        {
            var cut = e.Message.IndexOf(" Path: ", StringComparison.Ordinal);
            problems.Add(new SubjectProblem(file, $"options{(e.Path is { Length: > 1 } path ? path.TrimStart('$') : "")}: {(cut < 0 ? e.Message : e.Message[..cut])}"));
            return null;
        }

        if (options is null)
        {
            return null;
        }

        var invalid = options.Validate();
        foreach (var problem in invalid)
        {
            problems.Add(new SubjectProblem(file, "options: " + problem));
        }

        return unknown.Count == 0 && invalid.Count == 0 ? options : null;
    }

    private static string? ResolveClassNoun(string? given, string? fromManifest, List<SubjectProblem> problems)
    {
        var file = StorageLayout.SubjectJsonName;
        if (given is not null && fromManifest is not null && !string.Equals(given, fromManifest, StringComparison.Ordinal))
        {
            problems.Add(new SubjectProblem(file, $"class noun '{fromManifest}' differs from the run's '{given}'"));
            return null;
        }

        var noun = given ?? fromManifest;
        if (noun is null)
        {
            problems.Add(new SubjectProblem(SubjectProblem.WholeSubject, $"no class noun: give one in {file} (\"{SubjectManifest.ClassNounKey}\") or when starting the run"));
            return null;
        }

        if (!SubjectClasses.IsKnown(noun))
        {
            problems.Add(new SubjectProblem(given is null ? file : SubjectProblem.WholeSubject, $"unknown class noun '{noun}' (known: {string.Join(", ", SubjectClasses.All)})"));
            return null;
        }

        return noun;
    }
}
