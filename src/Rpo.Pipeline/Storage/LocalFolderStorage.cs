using System.Runtime.CompilerServices;
using System.Security.Cryptography;
using System.Text;

namespace Rpo.Pipeline.Storage;

/// <summary>
/// The storage as a local folder: <c>{root}/subjects</c>, <c>{root}/work</c>, <c>{root}/models</c>, one file per blob.
/// Writes go to a temporary file beside the target and are renamed over it, so readers see whole files only. The
/// condition check and the rename of a conditional write happen under an exclusive lock file (in
/// <c>{root}/.rpo-locks/</c>, one of a fixed set chosen by the blob's name), which holds across processes; the version
/// token is the SHA-256 of the content, so If-Match compares what a reader actually read. Unlike Azure, rewriting the
/// same bytes keeps the version; latest.json never repeats its bytes (each names a new version and time), so the
/// publishing protocol is unaffected. A blob cannot share its name with a folder here ("a" and "a/b"), as it can in Azure.
/// </summary>
public sealed class LocalFolderStorage : IBlobStorage
{
    private const int LockStripes = 64;
    private const int CopyBufferSize = 1 << 20;
    private static readonly TimeSpan LockTimeout = TimeSpan.FromSeconds(60);

    public LocalFolderStorage(string root)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(root);
        Root = Path.GetFullPath(root);
    }

    public string Root { get; }

    public string Location => Root;

    private string LockFolder => Path.Combine(Root, BlobPaths.ReservedPrefix + "locks");

    /// <summary>The file that holds a blob.</summary>
    public string FilePath(BlobRef blob)
    {
        BlobStorageExtensions.RequireBlob(blob, nameof(blob));
        return Path.Combine(AreaFolder(blob.Area), blob.Path.Replace('/', Path.DirectorySeparatorChar));
    }

    public Task EnsureCreatedAsync(CancellationToken cancellationToken = default)
    {
        foreach (var area in StorageAreas.All)
        {
            Directory.CreateDirectory(AreaFolder(area));
        }

        Directory.CreateDirectory(LockFolder);
        return Task.CompletedTask;
    }

    public async IAsyncEnumerable<BlobItemInfo> ListAsync(StorageArea area, string prefix, [EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        BlobPaths.ValidatePrefix(prefix, nameof(prefix));
        var areaFolder = AreaFolder(area);
        var cut = prefix.LastIndexOf('/');
        var start = cut < 0 ? areaFolder : Path.Combine(areaFolder, prefix[..cut].Replace('/', Path.DirectorySeparatorChar));
        if (!Directory.Exists(start))
        {
            yield break;
        }

        var items = new List<BlobItemInfo>();
        foreach (var file in Directory.EnumerateFiles(start, "*", SearchOption.AllDirectories))
        {
            cancellationToken.ThrowIfCancellationRequested();
            var name = Path.GetRelativePath(areaFolder, file).Replace(Path.DirectorySeparatorChar, '/');
            if (!name.StartsWith(prefix, StringComparison.Ordinal) || BlobPaths.Problem(name, allowFolder: false) is not null)
            {
                continue; // temporary files of writes in flight, or names no blob can have
            }

            var info = new FileInfo(file);
            if (info.Exists)
            {
                items.Add(new BlobItemInfo(new BlobRef(area, name), info.Length, info.LastWriteTimeUtc));
            }
        }

        items.Sort((a, b) => string.CompareOrdinal(a.Blob.Path, b.Blob.Path));
        foreach (var item in items)
        {
            yield return item;
        }

        await Task.CompletedTask.ConfigureAwait(false);
    }

    public Task<bool> ExistsAsync(BlobRef blob, CancellationToken cancellationToken = default) => Task.FromResult(File.Exists(FilePath(blob)));

    public async Task<BlobETag?> GetETagAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        var path = FilePath(blob);
        try
        {
            return await HashFileAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }
    }

    public Task<Stream> OpenReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        var path = FilePath(blob);
        try
        {
            return Task.FromResult<Stream>(new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, CopyBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan));
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            throw new BlobNotFoundException(blob, Location, e);
        }
    }

    public async Task<BlobData> ReadAsync(BlobRef blob, CancellationToken cancellationToken = default) =>
        await TryReadAsync(blob, cancellationToken).ConfigureAwait(false) ?? throw new BlobNotFoundException(blob, Location);

    public async Task<BlobData?> TryReadAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        var path = FilePath(blob);
        byte[] bytes;
        try
        {
            bytes = await File.ReadAllBytesAsync(path, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            return null;
        }

        return new BlobData(blob, bytes, ETagOf(SHA256.HashData(bytes)));
    }

    public async Task<BlobETag> WriteAsync(BlobRef blob, ReadOnlyMemory<byte> content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        using var stream = new ReadOnlyMemoryStream(content);
        return await WriteAsync(blob, stream, condition, cancellationToken).ConfigureAwait(false);
    }

    public async Task<BlobETag> WriteAsync(BlobRef blob, Stream content, WriteCondition? condition = null, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(content);
        condition ??= WriteCondition.None;
        var target = FilePath(blob);
        var folder = Path.GetDirectoryName(target)!;
        Directory.CreateDirectory(folder);

        // The bytes go to a temporary file first (outside the lock, it may be gigabytes); only the check and the
        // rename, which replaces the target in one step, happen under the lock.
        var temporary = Path.Combine(folder, $"{BlobPaths.ReservedPrefix}tmp-{Guid.NewGuid():N}");
        try
        {
            BlobETag etag;
            await using (var file = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, CopyBufferSize, FileOptions.Asynchronous))
            {
                using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
                var buffer = new byte[CopyBufferSize];
                int read;
                while ((read = await content.ReadAsync(buffer, cancellationToken).ConfigureAwait(false)) > 0)
                {
                    hash.AppendData(buffer, 0, read);
                    await file.WriteAsync(buffer.AsMemory(0, read), cancellationToken).ConfigureAwait(false);
                }

                await file.FlushAsync(cancellationToken).ConfigureAwait(false);
                file.Flush(flushToDisk: true);
                etag = ETagOf(hash.GetHashAndReset());
            }

            await using (await AcquireLockAsync(blob, cancellationToken).ConfigureAwait(false))
            {
                if (!condition.IsNone)
                {
                    await CheckConditionAsync(blob, target, condition, cancellationToken).ConfigureAwait(false);
                }

                File.Move(temporary, target, overwrite: true);
            }

            return etag;
        }
        finally
        {
            if (File.Exists(temporary))
            {
                File.Delete(temporary);
            }
        }
    }

    public async Task<bool> DeleteAsync(BlobRef blob, CancellationToken cancellationToken = default)
    {
        var path = FilePath(blob);
        await using (await AcquireLockAsync(blob, cancellationToken).ConfigureAwait(false))
        {
            if (!File.Exists(path))
            {
                return false;
            }

            File.Delete(path);
            return true;
        }
    }

    private string AreaFolder(StorageArea area) => Path.Combine(Root, area.ToName());

    private static async Task CheckConditionAsync(BlobRef blob, string target, WriteCondition condition, CancellationToken cancellationToken)
    {
        BlobETag? current;
        try
        {
            current = await HashFileAsync(target, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception e) when (e is FileNotFoundException or DirectoryNotFoundException)
        {
            current = null;
        }

        var holds = condition.IfNoneMatchAny ? current is null : current is { } tag && tag == condition.IfMatch;
        if (!holds)
        {
            throw new BlobConditionFailedException(blob, condition);
        }
    }

    /// <summary>
    /// An exclusive lock shared by every process using this folder: FileShare.None takes an advisory lock (flock on
    /// Unix) that a second open, in this process or another, cannot get. Lock files are never deleted (deleting one
    /// while another process waits on it would let two holders in), hence a fixed set of them.
    /// </summary>
    private async Task<FileStream> AcquireLockAsync(BlobRef blob, CancellationToken cancellationToken)
    {
        var key = SHA256.HashData(Encoding.UTF8.GetBytes(blob.ToString()));
        var path = Path.Combine(LockFolder, $"{key[0] % LockStripes:D2}.lock");
        Directory.CreateDirectory(LockFolder);
        var waited = TimeSpan.Zero;
        var delay = TimeSpan.FromMilliseconds(1);
        while (true)
        {
            try
            {
                return new FileStream(path, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1, FileOptions.None);
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException && waited < LockTimeout)
            {
                await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
                waited += delay;
                delay = TimeSpan.FromMilliseconds(Math.Min(delay.TotalMilliseconds * 2, 50));
            }
            catch (IOException e) when (e is not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new StorageException($"Could not lock '{path}' for '{blob}' within {LockTimeout.TotalSeconds} s; another process holds it.", e);
            }
        }
    }

    private static async Task<BlobETag> HashFileAsync(string path, CancellationToken cancellationToken)
    {
        await using var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.ReadWrite | FileShare.Delete, CopyBufferSize, FileOptions.Asynchronous | FileOptions.SequentialScan);
        return ETagOf(await SHA256.HashDataAsync(file, cancellationToken).ConfigureAwait(false));
    }

    private static BlobETag ETagOf(byte[] sha256) => new("sha256:" + Convert.ToHexStringLower(sha256));

    /// <summary>A read-only stream over memory without copying it.</summary>
    private sealed class ReadOnlyMemoryStream(ReadOnlyMemory<byte> memory) : Stream
    {
        private int _position;

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => memory.Length;

        public override long Position
        {
            get => _position;
            set => throw new NotSupportedException();
        }

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            var n = Math.Min(buffer.Length, memory.Length - _position);
            memory.Span.Slice(_position, n).CopyTo(buffer);
            _position += n;
            return n;
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) => ValueTask.FromResult(Read(buffer.Span));

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) => Task.FromResult(Read(buffer, offset, count));

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
