using Microsoft.Extensions.Configuration;

namespace Rpo.Worker.Tests;

public sealed class WorkerSettingsTests
{
    private static readonly Dictionary<string, string?> Deployed = new()
    {
        // As infra/modules/workerJob.bicep sets them (environment variables, "__" read as ":").
        ["AZURE_CLIENT_ID"] = "00000000-0000-0000-0000-000000000001",
        ["RpoStorage__blobServiceUri"] = "https://rpostore.blob.core.windows.net/",
        ["RpoStorage__queueServiceUri"] = "https://rpostore.queue.core.windows.net/",
        ["RpoStorage__credential"] = "managedidentity",
        ["RpoStorage__clientId"] = "00000000-0000-0000-0000-000000000002",
        ["RpoServiceBus__fullyQualifiedNamespace"] = "rpo-bus.servicebus.windows.net",
        ["RpoServiceBus__credential"] = "managedidentity",
        ["RpoServiceBus__clientId"] = "00000000-0000-0000-0000-000000000003",
        ["RpoWorker__JobResultsQueue"] = "job-results",
        ["RpoWorker__IdleExitSeconds"] = "90",
    };

    private static IConfiguration Config(Dictionary<string, string?> values) =>
        new ConfigurationBuilder().AddInMemoryCollection(values.ToDictionary(kv => kv.Key.Replace("__", ":", StringComparison.Ordinal), kv => kv.Value)).Build();

    [Fact]
    public void Reads_the_settings_the_bicep_deploys()
    {
        var settings = WorkerSettings.Read(Config(Deployed));

        Assert.Equal("rpo-bus.servicebus.windows.net", settings.ServiceBusNamespace);
        Assert.Equal(new Uri("https://rpostore.blob.core.windows.net/"), settings.BlobServiceUri);
        Assert.Equal("job-results", settings.Queues.Results);
        Assert.Equal("jobs-train", settings.Queues.Train);
        Assert.Equal(TimeSpan.FromSeconds(90), settings.IdleExit);
        Assert.Equal("managedidentity", settings.ServiceBusCredential);
        Assert.Equal("00000000-0000-0000-0000-000000000003", settings.ServiceBusClientId);
        Assert.Equal("00000000-0000-0000-0000-000000000002", settings.StorageClientId);
        Assert.Equal(TimeSpan.FromHours(6), settings.MaxLockRenewal);
        Assert.Equal(3, settings.MaxDeliveryCount);
    }

    [Fact]
    public void Reads_where_the_models_and_the_scratch_space_are()
    {
        var values = new Dictionary<string, string?>(Deployed)
        {
            ["RpoWorker__ModelsFolder"] = "/models",
            ["RpoWorker__AlignRewardFolder"] = "/models/kakaobrain/align-base",
            ["RpoWorker__ScratchFolder"] = "/scratch",
            ["RpoWorker__Device"] = "cuda:0",
        };

        var settings = WorkerSettings.Read(Config(values));
        var defaults = WorkerSettings.Read(Config(Deployed));

        Assert.Equal(
            new Rpo.Pipeline.Gpu.GpuModelSettings(defaults.ModelCacheFolder, "/models", "/models/kakaobrain/align-base", null, "cuda:0"),
            settings.ModelSettings);
        Assert.Equal("/scratch", settings.ScratchFolder);
        Assert.Null(defaults.ModelsFolder);
        Assert.Null(defaults.Device);
        Assert.StartsWith(Path.GetTempPath(), defaults.ScratchFolder, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RpoServiceBus__fullyQualifiedNamespace")]
    [InlineData("RpoStorage__blobServiceUri")]
    [InlineData("RpoStorage__queueServiceUri")]
    public void A_missing_setting_is_named_in_the_startup_error(string name)
    {
        var values = new Dictionary<string, string?>(Deployed);
        values.Remove(name);

        var error = Assert.Throws<WorkerSettingsException>(() => WorkerSettings.Read(Config(values)));

        Assert.Contains($"The setting {name} is missing", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("RpoWorker__IdleExitSeconds", "soon")]
    [InlineData("RpoWorker__IdleExitSeconds", "-1")]
    [InlineData("RpoServiceBus__credential", "connectionstring")]
    [InlineData("RpoServiceBus__fullyQualifiedNamespace", "Endpoint=sb://x/;SharedAccessKey=y")]
    public void A_wrong_setting_is_named_in_the_startup_error(string name, string value)
    {
        var values = new Dictionary<string, string?>(Deployed) { [name] = value };

        var error = Assert.Throws<WorkerSettingsException>(() => WorkerSettings.Read(Config(values)));

        Assert.Contains(name, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void The_client_id_falls_back_to_AZURE_CLIENT_ID_and_unset_values_take_their_defaults()
    {
        var values = new Dictionary<string, string?>(Deployed);
        values.Remove("RpoServiceBus__clientId");
        values.Remove("RpoWorker__JobResultsQueue");
        values.Remove("RpoWorker__IdleExitSeconds");

        var settings = WorkerSettings.Read(Config(values));

        Assert.Equal("00000000-0000-0000-0000-000000000001", settings.ServiceBusClientId);
        Assert.Equal("job-results", settings.JobResultsQueue);
        Assert.Equal(TimeSpan.FromSeconds(60), settings.IdleExit);
    }
}
