#!/usr/bin/env bash
# Publishes the GPU worker the way src/Rpo.Worker/Dockerfile does, with the CPU LibTorch package, and checks that the
# output can start: Rpo.Worker.dll + its runtimeconfig, libLibTorchSharp.so beside it with its GLIBCXX_3.4.32 need
# marked weak (build/ElfVersionNeeds.cs, applied by build/LibTorchLoad.targets after publish), the LibTorch libraries,
# and a start that fails only for want of settings (exit 2, naming the first missing one).
#
# The repository's build inputs are copied to a temporary folder first, so the linux-x64 restore does not rewrite the
# working tree's obj/ folders. Usage: build/publish-worker-check.sh [output-folder]   (CI: run from any directory)
set -euo pipefail
repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
work="$(mktemp -d)"
out="${1:-$work/publish}"
trap 'rm -rf "$work"' EXIT

mkdir -p "$work/repo"
( cd "$repo" && tar --exclude='bin' --exclude='obj' -cf - global.json Directory.Build.props Directory.Build.targets \
    Directory.Packages.props build src/Rpo.Diffusion src/Rpo.Rewards src/Rpo.Training src/Rpo.Pipeline src/Rpo.Worker ) |
  tar -xf - -C "$work/repo"

dotnet publish "$work/repo/src/Rpo.Worker/Rpo.Worker.csproj" -c Release -r linux-x64 --self-contained false \
  -p:TorchSharpPackage=TorchSharp-cpu -p:UseAppHost=false -o "$out" -nologo -v:q

fail() { echo "publish-worker-check: $*" >&2; exit 1; }
[[ -f "$out/Rpo.Worker.dll" ]] || fail "Rpo.Worker.dll missing in $out"
[[ -f "$out/Rpo.Worker.runtimeconfig.json" ]] || fail "Rpo.Worker.runtimeconfig.json missing"
[[ -f "$out/libLibTorchSharp.so" ]] || fail "libLibTorchSharp.so is not beside Rpo.Worker.dll"
ls "$out"/libtorch_cpu.so >/dev/null 2>&1 || fail "libtorch_cpu.so missing"

# Where this host's libstdc++ lacks GLIBCXX_3.4.32 (Debian 12, Ubuntu 22.04), the need must carry VER_FLG_WEAK, which
# readelf prints as "Flags: WEAK"; where it has it, the build leaves the library as shipped.
libstdcxx="$(ldconfig -p 2>/dev/null | awk '/libstdc\+\+\.so\.6 .*x86-64/ {print $NF; exit}')"
if [[ -n "$libstdcxx" ]] && ! grep -qa "GLIBCXX_3\.4\.32" "$libstdcxx"; then
  readelf -V "$out/libLibTorchSharp.so" | grep -E "Name: GLIBCXX_3\.4\.32" | grep -q "Flags: WEAK" \
    || fail "this host's libstdc++ ($libstdcxx) lacks GLIBCXX_3.4.32 and libLibTorchSharp.so still needs it strongly"
  echo "publish-worker-check: GLIBCXX_3.4.32 need is weak (host libstdc++ lacks it)"
fi

# Runnable: with no settings it must stop at the first missing one, not at a missing assembly or library.
set +e
msg="$(env -i PATH="$PATH" HOME="$HOME" DOTNET_ROOT="${DOTNET_ROOT:-}" dotnet "$out/Rpo.Worker.dll" 2>&1)"
rc=$?
set -e
[[ $rc -eq 2 && "$msg" == *RpoServiceBus__fullyQualifiedNamespace* ]] || fail "unexpected start (exit $rc): $msg"
echo "publish-worker-check: OK ($out)"
