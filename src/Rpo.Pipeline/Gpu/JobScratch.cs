using Rpo.Diffusion.Imaging;
using Rpo.Pipeline.Jobs;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Gpu;

/// <summary>
/// A job's local working folder under the handlers' scratch root: blobs are brought here to be loaded (model folders,
/// checkpoints) and written here before they are uploaded. Deleted when the job ends, whatever happened.
/// </summary>
internal sealed class JobScratch : IDisposable
{
    private JobScratch(string folder, IBlobStorage storage)
    {
        Folder = folder;
        Storage = storage;
    }

    public string Folder { get; }

    public IBlobStorage Storage { get; }

    public static JobScratch Create(string root, Job job, IBlobStorage storage)
    {
        // The job id holds ':'; a fresh suffix keeps two attempts of one job (a retry beside a stuck one) apart.
        var name = job.JobId.Replace(':', '_') + "-" + Guid.NewGuid().ToString("N")[..8];
        var folder = Path.Combine(Path.GetFullPath(root), name);
        Directory.CreateDirectory(folder);
        return new JobScratch(folder, storage);
    }

    public string PathOf(string relative) => Path.Combine(Folder, relative.Replace('/', Path.DirectorySeparatorChar));

    /// <summary>Every blob under <paramref name="folder"/> into the local folder <paramref name="relative"/>; returns its path.</summary>
    public async Task<string> DownloadFolderAsync(BlobRef folder, string relative, CancellationToken cancellationToken)
    {
        var local = PathOf(relative);
        Directory.CreateDirectory(local);
        var any = false;
        await foreach (var item in Storage.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            var path = Path.Combine(local, item.Blob.RelativeTo(folder).Replace('/', Path.DirectorySeparatorChar));
            Directory.CreateDirectory(Path.GetDirectoryName(path)!);
            await using var source = await Storage.OpenReadAsync(item.Blob, cancellationToken).ConfigureAwait(false);
            await using var target = File.Create(path);
            await source.CopyToAsync(target, cancellationToken).ConfigureAwait(false);
            any = true;
        }

        return any ? local : throw new BlobNotFoundException(folder, Storage.Location);
    }

    /// <summary>Uploads one local file to <paramref name="blob"/>.</summary>
    public async Task UploadAsync(string path, BlobRef blob, CancellationToken cancellationToken)
    {
        await using var stream = File.OpenRead(path);
        await Storage.WriteAsync(blob, stream, cancellationToken: cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Reads images from storage, upright (EXIF orientation applied, as the subject validator reads them).</summary>
    public async Task<IReadOnlyList<RgbImage>> ReadImagesAsync(IEnumerable<BlobRef> blobs, CancellationToken cancellationToken)
    {
        var images = new List<RgbImage>();
        foreach (var blob in blobs)
        {
            var data = await Storage.ReadAsync(blob, cancellationToken).ConfigureAwait(false);
            try
            {
                images.Add(ImageFile.DecodeRgb(data.Content.ToArray(), applyExifOrientation: true));
            }
            catch (Exception e) when (e is not OperationCanceledException and not OutOfMemoryException)
            {
                throw new InvalidDataException($"{blob} is not a readable image: {e.Message}", e);
            }
        }

        return images;
    }

    public void Dispose()
    {
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
            // A file still open (a model being disposed on another thread) only leaves scratch behind.
        }
        catch (UnauthorizedAccessException)
        {
        }
    }
}
