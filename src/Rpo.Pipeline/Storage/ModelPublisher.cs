using System.Text.Json;
using Rpo.Pipeline.Runs;

namespace Rpo.Pipeline.Storage;

/// <summary>Reward of one checkpoint under the validation λ.</summary>
public sealed record CheckpointReward(int Step, double Reward);

/// <summary>rpo.json: what a published model is and how it was chosen.</summary>
public sealed record ModelManifest(
    string SubjectId,
    string Version,
    RunId RunId,
    RunOptions Options,
    IReadOnlyList<CheckpointReward> Checkpoints,
    int SelectedStep,
    IReadOnlyDictionary<string, double> Metrics);

/// <summary>A version found under models/{subjectId}/: its rpo.json, whether latest.json points at it, and its folder.</summary>
public sealed record PublishedVersion(ModelManifest Manifest, bool IsLatest, BlobRef Folder)
{
    /// <summary>R_λval of the published checkpoint.</summary>
    public double? Reward => Manifest.Checkpoints.FirstOrDefault(c => c.Step == Manifest.SelectedStep)?.Reward;
}

/// <summary>latest.json: the version readers use, and the files it was published with.</summary>
/// <param name="Files">Paths relative to the version folder, every one written before this pointer was.</param>
/// <param name="PreviousVersion">The version this one replaced (null for the first): the pointers form a chain.</param>
public sealed record ModelPointer(
    string SubjectId,
    string Version,
    RunId RunId,
    DateTimeOffset PublishedAt,
    string? PreviousVersion,
    IReadOnlyList<string> Files);

/// <summary>One file of a version: bytes in hand, or a copy of a blob (a checkpoint in work/).</summary>
public sealed class PublishFile
{
    private PublishFile(string path, BlobRef? source, ReadOnlyMemory<byte> content)
    {
        Path = BlobPaths.Validate(path, nameof(path), allowFolder: false);
        Source = source;
        Content = content;
    }

    /// <summary>Path relative to the version folder ("unet/diffusion_pytorch_model.safetensors").</summary>
    public string Path { get; }

    public BlobRef? Source { get; }

    public ReadOnlyMemory<byte> Content { get; }

    public static PublishFile FromBytes(string path, ReadOnlyMemory<byte> content) => new(path, null, content);

    public static PublishFile CopyOf(string path, BlobRef source)
    {
        BlobStorageExtensions.RequireBlob(source, nameof(source));
        return new PublishFile(path, source, ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>Every blob under <paramref name="folder"/>, to be published under <paramref name="targetFolder"/> ("unet/").</summary>
    public static async Task<IReadOnlyList<PublishFile>> CopyOfFolderAsync(IBlobStorage storage, BlobRef folder, string targetFolder, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(storage);
        ArgumentNullException.ThrowIfNull(targetFolder);
        var files = new List<PublishFile>();
        await foreach (var item in storage.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            files.Add(CopyOf(targetFolder + item.Blob.RelativeTo(folder), item.Blob));
        }

        return files.Count > 0 ? files : throw new BlobNotFoundException(folder, storage.Location);
    }
}

public enum PublishOutcome
{
    /// <summary>latest.json now points at this version.</summary>
    Published,

    /// <summary>latest.json already pointed at this version (a retried publish); nothing was written.</summary>
    AlreadyCurrent,

    /// <summary>Another publish moved latest.json first; this version's files exist but nothing points at them.</summary>
    Conflict,
}

/// <param name="Pointer">The pointer now in place when published; for a conflict, the winner's pointer.</param>
public sealed record PublishResult(PublishOutcome Outcome, string Version, ModelPointer? Pointer)
{
    public bool Succeeded => Outcome is PublishOutcome.Published or PublishOutcome.AlreadyCurrent;
}

/// <summary>
/// Publishes a model version so that readers only ever see complete ones:
/// <list type="number">
/// <item>read latest.json and its version token (or learn it is absent);</item>
/// <item>write every file of the version under models/{subjectId}/{version}/, rpo.json last;</item>
/// <item>replace latest.json by a conditional write: If-Match on the token read in 1, If-None-Match: * when it was absent.</item>
/// </list>
/// latest.json therefore names a version only after all of that version's files exist, and of two publishes that
/// overlap exactly one moves the pointer: the other's condition fails. The loser gets
/// <see cref="PublishOutcome.Conflict"/> and is not retried on top: which model users get must not depend on which of
/// two racing runs finished uploading last, so the caller (the orchestration) decides; its version folder stays
/// complete and unreferenced, and publishing it again later moves the pointer to it. The pointers form a chain through
/// <see cref="ModelPointer.PreviousVersion"/>, every published version replacing exactly the one it read.
/// </summary>
public sealed class ModelPublisher
{
    private readonly IBlobStorage _storage;
    private readonly TimeProvider _time;

    public ModelPublisher(IBlobStorage storage, TimeProvider? time = null)
    {
        _storage = storage ?? throw new ArgumentNullException(nameof(storage));
        _time = time ?? TimeProvider.System;
    }

    public async Task<PublishResult> PublishAsync(ModelManifest manifest, IReadOnlyList<PublishFile> files, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(manifest);
        ArgumentNullException.ThrowIfNull(files);
        var subjectId = SubjectIds.Validate(manifest.SubjectId, nameof(manifest));
        var version = StorageLayout.ValidateVersion(manifest.Version);
        if (manifest.RunId.SubjectId != subjectId)
        {
            throw new ArgumentException($"Manifest of subject '{subjectId}' names run '{manifest.RunId}' of another subject.", nameof(manifest));
        }

        var paths = new HashSet<string>(StringComparer.Ordinal);
        foreach (var file in files)
        {
            if (file.Path == StorageLayout.ManifestName)
            {
                throw new ArgumentException($"'{StorageLayout.ManifestName}' is written from the manifest; do not pass it as a file.", nameof(files));
            }

            if (!paths.Add(file.Path))
            {
                throw new ArgumentException($"File '{file.Path}' is listed twice.", nameof(files));
            }
        }

        var pointerBlob = StorageLayout.LatestPointer(subjectId);
        var current = await _storage.TryReadAsync(pointerBlob, cancellationToken).ConfigureAwait(false);
        var currentPointer = current is null ? null : ParsePointer(current);
        if (currentPointer?.Version == version)
        {
            return new PublishResult(PublishOutcome.AlreadyCurrent, version, currentPointer);
        }

        foreach (var file in files)
        {
            var target = StorageLayout.ModelFile(subjectId, version, file.Path);
            if (file.Source is { } source)
            {
                await _storage.CopyAsync(source, target, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
            else
            {
                await _storage.WriteAsync(target, file.Content, cancellationToken: cancellationToken).ConfigureAwait(false);
            }
        }

        // rpo.json last: a version folder that has one is complete, even to a reader that lists folders.
        await _storage.WriteAsync(
            StorageLayout.ModelManifest(subjectId, version),
            JsonSerializer.SerializeToUtf8Bytes(manifest, RunJson.Indented),
            cancellationToken: cancellationToken).ConfigureAwait(false);

        var pointer = new ModelPointer(
            subjectId,
            version,
            manifest.RunId,
            _time.GetUtcNow(),
            currentPointer?.Version,
            [.. files.Select(f => f.Path).Append(StorageLayout.ManifestName).Order(StringComparer.Ordinal)]);
        var condition = current is null ? WriteCondition.IfNotExists : WriteCondition.IfMatchETag(current.ETag);
        try
        {
            await _storage.WriteAsync(pointerBlob, JsonSerializer.SerializeToUtf8Bytes(pointer, RunJson.Indented), condition, cancellationToken).ConfigureAwait(false);
            return new PublishResult(PublishOutcome.Published, version, pointer);
        }
        catch (BlobConditionFailedException)
        {
            var winner = await ReadLatestAsync(subjectId, cancellationToken).ConfigureAwait(false);
            return new PublishResult(winner?.Version == version ? PublishOutcome.AlreadyCurrent : PublishOutcome.Conflict, version, winner);
        }
    }

    /// <summary>The published version readers should use, or null when the subject has none.</summary>
    public async Task<ModelPointer?> ReadLatestAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        var data = await _storage.TryReadAsync(StorageLayout.LatestPointer(subjectId), cancellationToken).ConfigureAwait(false);
        return data is null ? null : ParsePointer(data);
    }

    public async Task<ModelManifest> ReadManifestAsync(string subjectId, string version, CancellationToken cancellationToken = default)
    {
        var data = await _storage.ReadAsync(StorageLayout.ModelManifest(subjectId, version), cancellationToken).ConfigureAwait(false);
        return Parse<ModelManifest>(data);
    }

    /// <summary>
    /// Every version folder of the subject that holds an rpo.json (a publish that lost its race included), the one
    /// latest.json points at first, then by version.
    /// </summary>
    public async Task<IReadOnlyList<PublishedVersion>> ListVersionsAsync(string subjectId, CancellationToken cancellationToken = default)
    {
        var latest = await ReadLatestAsync(subjectId, cancellationToken).ConfigureAwait(false);
        var folder = StorageLayout.ModelsFolder(subjectId);
        var names = new SortedSet<string>(StringComparer.Ordinal);
        await foreach (var item in _storage.ListAsync(folder, cancellationToken).ConfigureAwait(false))
        {
            if (item.Blob.RelativeTo(folder).Split('/') is [var version, StorageLayout.ManifestName])
            {
                names.Add(version);
            }
        }

        var versions = new List<PublishedVersion>();
        foreach (var name in names)
        {
            var manifest = await ReadManifestAsync(subjectId, name, cancellationToken).ConfigureAwait(false);
            versions.Add(new PublishedVersion(manifest, latest?.Version == name, StorageLayout.ModelVersionFolder(subjectId, name)));
        }

        return [.. versions.OrderByDescending(v => v.IsLatest).ThenBy(v => v.Manifest.Version, StringComparer.Ordinal)];
    }

    private static ModelPointer ParsePointer(BlobData data) => Parse<ModelPointer>(data);

    private static T Parse<T>(BlobData data)
    {
        try
        {
            return JsonSerializer.Deserialize<T>(data.Content.Span, RunJson.Options)
                ?? throw new InvalidDataException($"'{data.Blob}' holds null.");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"'{data.Blob}' is not a valid {typeof(T).Name}: {e.Message}", e);
        }
    }
}
