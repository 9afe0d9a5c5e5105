using System.Text;
using Rpo.Pipeline.Storage;

namespace Rpo.Pipeline.Tests.Storage;

public sealed class StorageFactoryTests
{
    [Fact]
    public void A_folder_opens_the_local_storage()
    {
        var folder = Path.Combine(Path.GetTempPath(), "rpo-factory", Guid.NewGuid().ToString("N"));

        var storage = Assert.IsType<LocalFolderStorage>(StorageFactory.Open(folder));
        var relative = Assert.IsType<LocalFolderStorage>(StorageFactory.Open("some/relative/folder"));
        var uri = Assert.IsType<LocalFolderStorage>(StorageFactory.Open(new Uri(folder).AbsoluteUri));

        Assert.Equal(folder, storage.Root);
        Assert.Equal(Path.GetFullPath("some/relative/folder"), relative.Root);
        Assert.Equal(folder, uri.Root);
    }

    [Fact]
    public void Development_storage_opens_azurite_at_its_standard_address()
    {
        var storage = Assert.IsType<BlobContainerStorage>(StorageFactory.Open("UseDevelopmentStorage=true"));

        Assert.Equal("http://127.0.0.1:10000/devstoreaccount1", storage.Location);
        Assert.Equal(StorageContainerNames.Default, storage.Containers);
    }

    [Fact]
    public void An_account_url_opens_azure_with_an_identity()
    {
        var storage = Assert.IsType<BlobContainerStorage>(StorageFactory.Open("https://rpostore.blob.core.windows.net/"));

        Assert.Equal("https://rpostore.blob.core.windows.net", storage.Location);
        Assert.Equal("rpostore", storage.Service.AccountName);
    }

    [Fact]
    public void A_broken_connection_string_is_refused_without_repeating_it()
    {
        var error = Assert.Throws<ArgumentException>(() => StorageFactory.Open("AccountName=x;AccountKey=secret-key-value;Nonsense"));

        Assert.DoesNotContain("secret-key-value", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Azurites_connection_string_opens_a_working_store()
    {
        var containers = Azurite.UniqueContainers();
        var storage = Assert.IsType<BlobContainerStorage>(StorageFactory.Open(Azurite.ConnectionString, containers));
        try
        {
            try
            {
                await storage.EnsureCreatedAsync();
            }
            catch (StorageException e)
            {
                throw new InvalidOperationException($"Azurite does not answer at {Azurite.BlobEndpoint}: run ./run-tests.sh or set RPO_AZURITE_BLOB.", e);
            }

            var blob = new BlobRef(StorageArea.Subjects, "cat/subject.json");
            await storage.WriteAsync(blob, Encoding.UTF8.GetBytes("{\"class\":\"cat\"}"));
            Assert.Equal(Azurite.BlobEndpoint, storage.Location);
            Assert.Equal("{\"class\":\"cat\"}", Encoding.UTF8.GetString((await storage.ReadAsync(blob)).Content.Span));
        }
        finally
        {
            await storage.DeleteContainersAsync();
        }
    }
}
