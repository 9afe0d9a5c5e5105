// Makes LibTorchSharp load on hosts whose libstdc++ is older than the one it was linked against.
//
// libLibTorchSharp.so 0.107 records a need for GLIBCXX_3.4.32 for a single symbol
// (std::ios_base_library_init) that nothing calls. glibc refuses to load a library whose version
// need is missing unless that need carries VER_FLG_WEAK, so the build sets that flag on the copy in
// the output folder. This file is compiled twice: as an MSBuild inline task (build/LibTorchLoad.targets)
// and into tests/Rpo.Build.Tests, which defines RPO_ELF_TESTS to leave the MSBuild part out.
#nullable enable
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace RpoBuild
{
    /// <summary>One version a shared object needs (an <c>Elf64_Vernaux</c>), with where its flags live.</summary>
    // A class, not a record: the MSBuild inline-task compiler targets netstandard2.0.
    public sealed class VersionNeed
    {
        public const ushort WeakFlag = 0x2; // VER_FLG_WEAK

        public VersionNeed(string file, string version, ushort flags, long flagsOffset)
        {
            File = file;
            Version = version;
            Flags = flags;
            FlagsOffset = flagsOffset;
        }

        public string File { get; }
        public string Version { get; }
        public ushort Flags { get; }
        public long FlagsOffset { get; }
        public bool IsWeak => (Flags & WeakFlag) != 0;
    }

    /// <summary>Reads and edits the GNU symbol-versioning sections of 64-bit little-endian ELF files.</summary>
    public static class ElfVersionNeeds
    {
        const uint ShtGnuVerdef = 0x6ffffffd;
        const uint ShtGnuVerneed = 0x6ffffffe;

        /// <summary>The entries of <c>.gnu.version_r</c>; empty when the file is not an ELF64 LE object or has none.</summary>
        public static IReadOnlyList<VersionNeed> ReadNeeds(byte[] elf)
        {
            var needs = new List<VersionNeed>();
            foreach (var pair in SectionsOfType(elf, ShtGnuVerneed))
            {
                Section section = pair.Section;
                long strtab = pair.StringTable;
                long entry = (long)section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort count = U16(elf, entry + 2);
                    string file = CString(elf, strtab + U32(elf, entry + 4));
                    long aux = entry + U32(elf, entry + 8);
                    for (int j = 0; j < count; j++)
                    {
                        needs.Add(new VersionNeed(file, CString(elf, strtab + U32(elf, aux + 8)), U16(elf, aux + 4), aux + 4));
                        aux += U32(elf, aux + 12);
                    }
                    uint next = U32(elf, entry + 12);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return needs;
        }

        /// <summary>The version names a shared object defines (<c>.gnu.version_d</c>), e.g. GLIBCXX_3.4.30.</summary>
        public static IReadOnlyCollection<string> ReadDefinitions(byte[] elf)
        {
            var defs = new HashSet<string>(StringComparer.Ordinal);
            foreach (var pair in SectionsOfType(elf, ShtGnuVerdef))
            {
                Section section = pair.Section;
                long strtab = pair.StringTable;
                long entry = (long)section.Offset;
                for (uint i = 0; i < section.Info; i++)
                {
                    ushort count = U16(elf, entry + 6);
                    long aux = entry + U32(elf, entry + 12);
                    // Only the first Verdaux names the version itself; the rest name its parents.
                    if (count > 0) defs.Add(CString(elf, strtab + U32(elf, aux)));
                    uint next = U32(elf, entry + 16);
                    if (next == 0) break;
                    entry += next;
                }
            }
            return defs;
        }

        /// <summary>
        /// Sets VER_FLG_WEAK on every need of <paramref name="version"/>. Writes through a temporary file
        /// and a rename, so a hard-linked original (a package cache) is never modified.
        /// Returns true when the file changed.
        /// </summary>
        public static bool MarkWeak(string path, string version)
        {
            byte[] elf = File.ReadAllBytes(path);
            var targets = ReadNeeds(elf).Where(n => n.Version == version && !n.IsWeak).ToList();
            if (targets.Count == 0) return false;
            foreach (var need in targets)
            {
                ushort flags = (ushort)(need.Flags | VersionNeed.WeakFlag);
                elf[need.FlagsOffset] = (byte)flags;
                elf[need.FlagsOffset + 1] = (byte)(flags >> 8);
            }
            string temp = path + ".weak-tmp";
            File.WriteAllBytes(temp, elf);
            File.Delete(path); // unlinks this name only; other links to the old bytes keep them
            File.Move(temp, path);
            return true;
        }

        /// <summary>True when <paramref name="path"/> needs <paramref name="version"/> without the weak flag.</summary>
        public static bool HasStrongNeed(string path, string version) =>
            ReadNeeds(File.ReadAllBytes(path)).Any(n => n.Version == version && !n.IsWeak);

        /// <summary>
        /// The libstdc++ this machine's processes load: the one mapped into the current process when there is
        /// one (the dotnet host links it), else the first found in the usual library folders; null when none.
        /// </summary>
        public static string? FindHostLibStdCxx()
        {
            const string name = "libstdc++.so.6";
            try
            {
                foreach (var line in File.ReadLines("/proc/self/maps"))
                {
                    int slash = line.IndexOf('/');
                    if (slash >= 0 && Path.GetFileName(line.Substring(slash).Trim()).StartsWith("libstdc++.so", StringComparison.Ordinal))
                        return line.Substring(slash).Trim();
                }
            }
            catch (IOException) { }
            catch (UnauthorizedAccessException) { }
            string[] dirs =
            {
                "/lib/x86_64-linux-gnu", "/usr/lib/x86_64-linux-gnu", "/lib/aarch64-linux-gnu",
                "/usr/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib",
            };
            return dirs.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
        }

        /// <summary>True when the given shared object defines the version (false when it cannot be read).</summary>
        public static bool Defines(string libraryPath, string version) =>
            File.Exists(libraryPath) && ReadDefinitions(File.ReadAllBytes(libraryPath)).Contains(version);

        readonly struct Section
        {
            public Section(uint type, ulong offset, ulong size, uint link, uint info)
            {
                Type = type;
                Offset = offset;
                Size = size;
                Link = link;
                Info = info;
            }

            public uint Type { get; }
            public ulong Offset { get; }
            public ulong Size { get; }
            public uint Link { get; }
            public uint Info { get; }
        }

        static IEnumerable<(Section Section, long StringTable)> SectionsOfType(byte[] elf, uint type)
        {
            var sections = ReadSections(elf);
            foreach (var s in sections.Where(s => s.Type == type))
            {
                if (s.Link >= sections.Count) throw new InvalidDataException("ELF version section links to a missing string table.");
                yield return (s, (long)sections[(int)s.Link].Offset);
            }
        }

        static IReadOnlyList<Section> ReadSections(byte[] elf)
        {
            bool isElf64Le = elf.Length >= 64 && elf[0] == 0x7f && elf[1] == (byte)'E' && elf[2] == (byte)'L'
                && elf[3] == (byte)'F' && elf[4] == 2 /* ELFCLASS64 */ && elf[5] == 1 /* ELFDATA2LSB */;
            if (!isElf64Le) return Array.Empty<Section>();
            ulong shoff = U64(elf, 0x28);
            ushort shentsize = U16(elf, 0x3A);
            ushort shnum = U16(elf, 0x3C);
            if (shoff == 0 || shentsize < 64 || shoff + (ulong)shentsize * shnum > (ulong)elf.Length)
                throw new InvalidDataException("ELF section header table lies outside the file.");
            var list = new List<Section>(shnum);
            for (int i = 0; i < shnum; i++)
            {
                long h = (long)shoff + (long)i * shentsize;
                list.Add(new Section(U32(elf, h + 4), U64(elf, h + 24), U64(elf, h + 32), U32(elf, h + 40), U32(elf, h + 44)));
            }
            return list;
        }

        static ushort U16(byte[] b, long o) => (ushort)(b[o] | b[o + 1] << 8);
        static uint U32(byte[] b, long o) => (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24);
        static ulong U64(byte[] b, long o) => U32(b, o) | (ulong)U32(b, o + 4) << 32;

        static string CString(byte[] b, long o)
        {
            long end = o;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, (int)o, (int)(end - o));
        }
    }

#if !RPO_ELF_TESTS
    /// <summary>
    /// MSBuild task: for each library given, weaken the version needs that this host's libstdc++ does not define.
    /// A no-op where the host has them (or has no libstdc++ at all, e.g. Windows).
    /// </summary>
    public sealed class WeakenMissingVersionNeeds : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public Microsoft.Build.Framework.ITaskItem[] Libraries { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();
        [Microsoft.Build.Framework.Required] public string Versions { get; set; } = "";
        /// <summary>Folders left by TorchSharp's load fallback that hold an unpatched copy; removed when stale.</summary>
        public Microsoft.Build.Framework.ITaskItem[] FallbackFolders { get; set; } = Array.Empty<Microsoft.Build.Framework.ITaskItem>();

        public override bool Execute()
        {
            string? libstdcxx = ElfVersionNeeds.FindHostLibStdCxx();
            if (libstdcxx == null) return true;
            var missing = Versions.Split(new[] { ';', ',' }, StringSplitOptions.RemoveEmptyEntries)
                .Select(v => v.Trim()).Where(v => !ElfVersionNeeds.Defines(libstdcxx, v)).ToList();
            if (missing.Count == 0) return true;

            foreach (var item in Libraries)
            {
                string path = item.ItemSpec;
                if (!File.Exists(path)) continue;
                foreach (var version in missing)
                    if (ElfVersionNeeds.MarkWeak(path, version))
                        Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                            "{0}: marked the need for {1} weak ({2} lacks it).", path, version, libstdcxx);
            }
            foreach (var folder in FallbackFolders)
            {
                string lib = Path.Combine(folder.ItemSpec, "libLibTorchSharp.so");
                if (File.Exists(lib) && missing.Any(v => ElfVersionNeeds.HasStrongNeed(lib, v)))
                {
                    Directory.Delete(folder.ItemSpec, recursive: true);
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        "Removed {0}: an unpatched LibTorchSharp copy left by an earlier failed load.", folder.ItemSpec);
                }
            }
            return !Log.HasLoggedErrors;
        }
    }
#endif
}
