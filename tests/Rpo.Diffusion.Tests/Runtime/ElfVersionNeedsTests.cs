using RpoBuild;

namespace Rpo.Diffusion.Tests.Runtime;

public sealed class ElfVersionNeedsTests : IDisposable
{
    const string Needed = "GLIBCXX_3.4.32";
    readonly string _dir = Directory.CreateTempSubdirectory("rpo-elf-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    static string PackageCopy()
    {
        string cache = Environment.GetEnvironmentVariable("NUGET_PACKAGES")
            ?? Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        string path = Path.Combine(cache, "torchsharp", "0.107.0", "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's package copy was expected at {path}");
        return path;
    }

    static string OutputCopy() =>
        Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");

    [Fact]
    public void Reads_the_libstdcxx_version_needs_of_LibTorchSharp()
    {
        var needs = ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(PackageCopy()));
        var need = Assert.Single(needs, n => n.Version == Needed);
        Assert.Equal("libstdc++.so.6", need.File);
        Assert.False(need.IsWeak);
        Assert.Contains(needs, n => n.Version == "GLIBC_2.2.5" && n.File == "libc.so.6");
    }

    [Fact]
    public void MarkWeak_sets_only_the_weak_bit_of_that_need_and_is_idempotent()
    {
        string copy = Path.Combine(_dir, "libLibTorchSharp.so");
        File.Copy(PackageCopy(), copy);
        byte[] before = File.ReadAllBytes(copy);

        Assert.True(ElfVersionNeeds.MarkWeak(copy, Needed));
        byte[] after = File.ReadAllBytes(copy);
        var need = Assert.Single(ElfVersionNeeds.ReadNeeds(after), n => n.Version == Needed);
        Assert.True(need.IsWeak);
        // Exactly one byte differs: the low byte of that Vernaux's vna_flags.
        var changed = Enumerable.Range(0, before.Length).Where(i => before[i] != after[i]).ToList();
        Assert.Equal([need.FlagsOffset], changed.Select(i => (long)i));
        Assert.All(ElfVersionNeeds.ReadNeeds(after).Where(n => n.Version != Needed), n => Assert.False(n.IsWeak));

        Assert.False(ElfVersionNeeds.MarkWeak(copy, Needed));
        Assert.Equal(after, File.ReadAllBytes(copy));
    }

    [Fact]
    public void MarkWeak_replaces_a_linked_file_instead_of_writing_through_it()
    {
        string original = Path.Combine(_dir, "original.so");
        string link = Path.Combine(_dir, "link.so");
        File.Copy(PackageCopy(), original);
        File.CreateSymbolicLink(link, original); // stands in for a NuGet cache file linked into bin/
        // A rename replaces the link's directory entry; the original keeps its bytes.
        byte[] originalBytes = File.ReadAllBytes(original);
        Assert.True(ElfVersionNeeds.MarkWeak(link, Needed));
        Assert.Equal(originalBytes, File.ReadAllBytes(original));
        Assert.True(Assert.Single(ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(link)), n => n.Version == Needed).IsWeak);
    }

    [Fact]
    public void Host_libstdcxx_definitions_are_read()
    {
        string? lib = ElfVersionNeeds.FindHostLibStdCxx();
        Assert.NotNull(lib);
        var defs = ElfVersionNeeds.ReadDefinitions(File.ReadAllBytes(lib));
        Assert.Contains("GLIBCXX_3.4", defs);
        Assert.Contains("CXXABI_1.3", defs);
    }

    [Fact]
    public void Build_output_copy_is_weak_exactly_when_the_host_lacks_the_version()
    {
        string? lib = ElfVersionNeeds.FindHostLibStdCxx();
        Assert.NotNull(lib);
        bool hostHasIt = ElfVersionNeeds.Defines(lib, Needed);
        var need = Assert.Single(ElfVersionNeeds.ReadNeeds(File.ReadAllBytes(OutputCopy())), n => n.Version == Needed);
        Assert.Equal(!hostHasIt, need.IsWeak);
        Assert.False(Directory.Exists(Path.Combine(AppContext.BaseDirectory, "cpu")),
            "a stale TorchSharp fallback folder should have been removed by the build");
    }

    [Fact]
    public void Non_elf_files_have_no_needs()
    {
        Assert.Empty(ElfVersionNeeds.ReadNeeds("not an elf file at all, just text"u8.ToArray()));
        Assert.Empty(ElfVersionNeeds.ReadDefinitions(new byte[8]));
    }
}
