using Rpo.Cli;
using Rpo.Cli.Doctor;

namespace Rpo.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public class RpoAppTests
{
    [Theory]
    [InlineData("--help")]
    [InlineData("doctor", "--help")]
    public async Task Help_exits_0(params string[] args) =>
        Assert.Equal(ExitCodes.Ok, await RpoApp.RunAsync(args));

    [Theory]
    [InlineData("doctor", "--no-such-option")]
    [InlineData("no-such-command")]
    [InlineData("doctor", "--azurite")]
    public async Task Usage_errors_exit_2(params string[] args) =>
        Assert.Equal(ExitCodes.Usage, await RpoApp.RunAsync(args));

    [Fact]
    public void Every_command_has_a_description()
    {
        var root = RpoApp.BuildRoot();
        Assert.NotEmpty(root.Subcommands);
        Assert.All(root.Subcommands, c => Assert.False(string.IsNullOrWhiteSpace(c.Description), c.Name));
    }
}

[Collection(ConsoleCollection.Name)]
public class DoctorChecksTests
{
    [Fact]
    public void Torch_check_reports_LibTorch_2_10_and_threads()
    {
        var checks = DoctorChecks.Torch();
        var libtorch = Assert.Single(checks, c => c.Name == "LibTorch");
        Assert.Equal(CheckStatus.Ok, libtorch.Status);
        Assert.StartsWith("2.10", libtorch.Detail);
        Assert.Contains(checks, c => c.Name == "CUDA");
        Assert.Contains(checks, c => c.Name == "Threads" && c.Status == CheckStatus.Ok);
    }

    [Fact]
    public async Task Azurite_check_warns_with_a_fix_when_nothing_answers()
    {
        // Port 9 (discard) has no HTTP server on loopback.
        var check = await DoctorChecks.AzuriteAsync("http://127.0.0.1:9/devstoreaccount1", CancellationToken.None);
        Assert.Equal(CheckStatus.Warn, check.Status);
        Assert.Contains("run-tests.sh", check.Fix);
    }

    [Fact]
    public async Task Azurite_check_is_ok_against_the_suite_emulator()
    {
        string endpoint = Environment.GetEnvironmentVariable("RPO_AZURITE_BLOB") ?? DoctorChecks.DefaultAzuriteBlobEndpoint;
        var check = await DoctorChecks.AzuriteAsync(endpoint, CancellationToken.None);
        Assert.True(check.Status == CheckStatus.Ok, $"Azurite must answer at {endpoint} (./run-tests.sh starts it): {check.Detail}");
    }

    [Fact]
    public void Bicep_check_finds_the_cli_restored_by_tools_bicep()
    {
        var check = DoctorChecks.Bicep();
        Assert.True(check.Status == CheckStatus.Ok, $"{check.Detail} — {check.Fix}");
        Assert.True(File.Exists(check.Detail));
    }
}
