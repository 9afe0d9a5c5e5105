using System.CommandLine;
using Rpo.Pipeline.Local;
using Rpo.Pipeline.Runs;
using Rpo.Pipeline.Storage;

namespace Rpo.Cli.Commands;

/// <summary>The shared <c>--storage</c> option of run, status, cancel and models: one place, so they all find the same runs.</summary>
public static class StorageOption
{
    public const string DefaultFolder = "rpo-storage";

    public static Option<string> Create() => new("--storage")
    {
        Description = $"Where subjects/, work/ and models/ live: a folder (default ./{DefaultFolder}), an Azure Storage connection string "
            + "(\"UseDevelopmentStorage=true\" for Azurite) or an account URL (https://<account>.blob.core.windows.net, signed in with your Azure login).",
        DefaultValueFactory = _ => DefaultFolder,
    };

    public static IBlobStorage Open(string target)
    {
        try
        {
            return StorageFactory.Open(target);
        }
        catch (ArgumentException e)
        {
            throw new UserError($"--storage: {e.Message}");
        }
    }

    public static RunId ParseRunId(string text) =>
        RunId.TryParse(text, out var id, out var problem) ? id : throw new UserError(problem);

    /// <summary>The run named on the command line, its storage and its mirrored status (<c>rpo status</c>, <c>rpo cancel</c>).</summary>
    public static async Task<(RunId Id, IBlobStorage Store, RunStatusDocument Status)> ReadRunAsync(string runId, string storage, CancellationToken cancellationToken)
    {
        var id = ParseRunId(runId);
        var store = Open(storage);
        var read = await RunStatusDocument.ReadAsync(store, id, cancellationToken)
            ?? throw new UserError($"no run {id} in {store.Location} (rpo run prints its run id; --storage must name the same storage).");
        return (id, store, read.Document);
    }
}
