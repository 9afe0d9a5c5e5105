using System.Text.Json;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;
using Rpo.Pipeline.Subjects;

namespace Rpo.Pipeline.Local;

/// <summary>What <see cref="SubjectUpload.UploadAsync"/> changed in <c>subjects/{subjectId}/</c>.</summary>
/// <param name="Photos">The photos the subject now holds (names).</param>
/// <param name="Written">Files written because they were new or different (subject.json included).</param>
/// <param name="Removed">Files the folder no longer has, deleted from the upload so the run sees the folder as it is.</param>
/// <param name="Skipped">Files of the folder that are not photos (README, LICENSE, notes): not uploaded.</param>
public sealed record SubjectUploadResult(IReadOnlyList<string> Photos, IReadOnlyList<string> Written, IReadOnlyList<string> Removed, IReadOnlyList<string> Skipped);

/// <summary>
/// Puts a local photo folder into a subject's upload folder the way a user's upload arrives: photos first, then
/// subject.json (class noun and options) last, the marker that the upload is complete. Unchanged files are left as
/// they are; the run id depends only on the bytes, so uploading the same folder twice names the same run.
/// </summary>
public static class SubjectUpload
{
    /// <summary>Files with an image extension, except what an OS leaves behind and hidden files, sorted by name.</summary>
    public static IReadOnlyList<string> PhotosOf(string folder, out IReadOnlyList<string> skipped)
    {
        ArgumentNullException.ThrowIfNull(folder);
        var photos = new List<string>();
        var others = new List<string>();
        foreach (var file in Directory.GetFiles(folder).Order(StringComparer.Ordinal))
        {
            var name = Path.GetFileName(file);
            if (SubjectValidator.IsIgnored(name) || (File.GetAttributes(file) & FileAttributes.Hidden) != 0)
            {
                continue;
            }

            (SubjectValidator.ImageExtensions.Contains(Path.GetExtension(name), StringComparer.OrdinalIgnoreCase) ? photos : others).Add(file);
        }

        skipped = [.. others.Select(Path.GetFileName)!];
        return photos;
    }

    public static async Task<SubjectUploadResult> UploadAsync(
        IBlobStorage storage, string subjectId, string folder, SubjectManifest manifest, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(manifest);
        if (!Directory.Exists(folder))
        {
            throw new DirectoryNotFoundException($"The subject folder {folder} does not exist.");
        }

        await storage.EnsureCreatedAsync(cancellationToken).ConfigureAwait(false);
        var photos = PhotosOf(folder, out var skipped);
        var written = new List<string>();
        foreach (var photo in photos)
        {
            if (await WriteIfChangedAsync(storage, StorageLayout.SubjectFile(subjectId, Path.GetFileName(photo)), await File.ReadAllBytesAsync(photo, cancellationToken).ConfigureAwait(false), cancellationToken).ConfigureAwait(false))
            {
                written.Add(Path.GetFileName(photo));
            }
        }

        var keep = photos.Select(Path.GetFileName).Append(StorageLayout.SubjectJsonName).ToHashSet(StringComparer.Ordinal);
        var subjectFolder = StorageLayout.SubjectFolder(subjectId);
        var stale = new List<BlobRef>();
        await foreach (var item in storage.ListAsync(subjectFolder, cancellationToken).ConfigureAwait(false))
        {
            if (!keep.Contains(item.Blob.RelativeTo(subjectFolder)))
            {
                stale.Add(item.Blob);
            }
        }

        foreach (var blob in stale)
        {
            await storage.DeleteAsync(blob, cancellationToken).ConfigureAwait(false);
        }

        // Last: whoever watches uploads (the Functions blob trigger) starts the run when this arrives.
        if (await WriteIfChangedAsync(storage, StorageLayout.SubjectJson(subjectId), Serialize(manifest), cancellationToken).ConfigureAwait(false))
        {
            written.Add(StorageLayout.SubjectJsonName);
        }

        return new SubjectUploadResult([.. photos.Select(Path.GetFileName)!], written, [.. stale.Select(b => b.RelativeTo(subjectFolder))], skipped);
    }

    /// <summary>subject.json as a user would write it: the class noun and every option, camelCase.</summary>
    public static byte[] Serialize(SubjectManifest manifest)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        return JsonSerializer.SerializeToUtf8Bytes(manifest, RunJson.Indented);
    }

    private static async Task<bool> WriteIfChangedAsync(IBlobStorage storage, BlobRef blob, byte[] content, CancellationToken cancellationToken)
    {
        var existing = await storage.TryReadAsync(blob, cancellationToken).ConfigureAwait(false);
        if (existing is not null && existing.Content.Span.SequenceEqual(content))
        {
            return false;
        }

        await storage.WriteAsync(blob, content, cancellationToken: cancellationToken).ConfigureAwait(false);
        return true;
    }
}
