using System.Text.Json;
using System.Text.Json.Serialization;

namespace Rpo.Pipeline.Storage;

/// <summary>
/// A reference to a blob (or, with a trailing '/', a folder of blobs) in one area of the storage, independent of
/// where the storage is. In messages it travels as one string, "<c>work/{runId}/negatives/00/000.png</c>".
/// </summary>
[JsonConverter(typeof(BlobRefJsonConverter))]
public sealed record BlobRef
{
    public BlobRef(StorageArea area, string path)
    {
        _ = area.ToName();
        Area = area;
        Path = BlobPaths.Validate(path, nameof(path), allowFolder: true);
    }

    public StorageArea Area { get; }

    /// <summary>The blob's name inside its area's container / folder.</summary>
    public string Path { get; }

    /// <summary>A folder reference (trailing '/') names every blob under it.</summary>
    public bool IsFolder => Path.EndsWith('/');

    /// <summary>The last segment ("000.png"; for a folder its own name).</summary>
    public string Name => Path.TrimEnd('/')[(Path.TrimEnd('/').LastIndexOf('/') + 1)..];

    /// <summary>A blob or folder under this folder.</summary>
    public BlobRef Combine(string relativePath)
    {
        if (!IsFolder)
        {
            throw new InvalidOperationException($"'{this}' is a blob, not a folder; only a folder reference (ending in '/') has children.");
        }

        BlobPaths.Validate(relativePath, nameof(relativePath), allowFolder: true);
        return new BlobRef(Area, Path + relativePath);
    }

    /// <summary>The path of this blob relative to <paramref name="folder"/>, which must contain it.</summary>
    public string RelativeTo(BlobRef folder)
    {
        if (!folder.IsFolder || folder.Area != Area || !Path.StartsWith(folder.Path, StringComparison.Ordinal))
        {
            throw new ArgumentException($"'{this}' is not inside the folder '{folder}'.", nameof(folder));
        }

        return Path[folder.Path.Length..];
    }

    public override string ToString() => $"{Area.ToName()}/{Path}";

    /// <summary>Parses "<c>{area}/{path}</c>" as written by <see cref="ToString"/>.</summary>
    public static BlobRef Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var cut = text.IndexOf('/', StringComparison.Ordinal);
        if (cut <= 0 || !StorageAreas.TryParse(text[..cut], out var area))
        {
            throw new FormatException(
                $"Blob reference '{text}' does not start with an area ({string.Join(", ", StorageAreas.All.Select(a => a.ToName() + "/"))}).");
        }

        var problem = BlobPaths.Problem(text[(cut + 1)..], allowFolder: true);
        return problem is null ? new BlobRef(area, text[(cut + 1)..]) : throw new FormatException($"Blob reference '{text}': the path {problem}.");
    }
}

internal sealed class BlobRefJsonConverter : JsonConverter<BlobRef>
{
    public override BlobRef Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
    {
        if (reader.TokenType != JsonTokenType.String)
        {
            throw new JsonException($"expected a blob reference string such as \"work/<runId>/file\", found {reader.TokenType}.");
        }

        try
        {
            return BlobRef.Parse(reader.GetString()!);
        }
        catch (FormatException e)
        {
            throw new JsonException(e.Message, e);
        }
    }

    public override void Write(Utf8JsonWriter writer, BlobRef value, JsonSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(writer);
        ArgumentNullException.ThrowIfNull(value);
        writer.WriteStringValue(value.ToString());
    }
}
