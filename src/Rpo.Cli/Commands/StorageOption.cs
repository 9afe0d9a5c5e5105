using System.CommandLine;
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

    public static RunId ParseRunId(string text)
    {
        try
        {
            return RunId.Parse(text);
        }
        catch (FormatException e)
        {
            throw new UserError(e.Message);
        }
    }
}
