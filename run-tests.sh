#!/usr/bin/env bash
# The test command. On a fresh machine with the .NET SDK and node/npm it installs what the tests need
# (Azurite, pinned, into .tools/), starts Azurite on loopback with its data in .azurite/ (or reuses one
# that already answers), runs the whole test suite, stops what it started and exits with the tests' status.
# Extra arguments go to `dotnet test` (e.g. ./run-tests.sh --filter FullyQualifiedName~Unet).
set -euo pipefail
cd "$(dirname "$0")"

AZURITE_VERSION=3.37.0
TOOLS_DIR=.tools
DATA_DIR=.azurite
BLOB_ENDPOINT="http://127.0.0.1:10000/devstoreaccount1"
azurite_bin="$TOOLS_DIR/node_modules/.bin/azurite"

azurite_answers() {
  curl -s -m 2 -o /dev/null -D - "$BLOB_ENDPOINT?comp=list" 2>/dev/null | grep -qi '^server: azurite'
}

install_azurite() {
  local installed=""
  [ -f "$TOOLS_DIR/node_modules/azurite/package.json" ] &&
    installed=$(node -p "require('./$TOOLS_DIR/node_modules/azurite/package.json').version")
  if [ "$installed" != "$AZURITE_VERSION" ]; then
    echo "run-tests.sh: installing azurite@$AZURITE_VERSION into $TOOLS_DIR/"
    mkdir -p "$TOOLS_DIR"
    npm install --prefix "$TOOLS_DIR" --no-audit --no-fund --loglevel=error "azurite@$AZURITE_VERSION" >/dev/null
  fi
}

started_pid=""
stop_azurite() {
  if [ -n "$started_pid" ] && kill -0 "$started_pid" 2>/dev/null; then
    kill "$started_pid" 2>/dev/null || true
    wait "$started_pid" 2>/dev/null || true
  fi
}
trap stop_azurite EXIT

if azurite_answers; then
  echo "run-tests.sh: reusing the Azurite that answers at $BLOB_ENDPOINT"
else
  install_azurite
  mkdir -p "$DATA_DIR"
  "$azurite_bin" --silent --location "$DATA_DIR" --debug "$DATA_DIR/debug.log" \
    --blobHost 127.0.0.1 --queueHost 127.0.0.1 --tableHost 127.0.0.1 --skipApiVersionCheck \
    >"$DATA_DIR/azurite.out" 2>&1 &
  started_pid=$!
  for _ in $(seq 1 60); do
    azurite_answers && break
    kill -0 "$started_pid" 2>/dev/null || { cat "$DATA_DIR/azurite.out" >&2; echo "run-tests.sh: Azurite exited" >&2; exit 1; }
    sleep 0.5
  done
  azurite_answers || { echo "run-tests.sh: Azurite did not answer at $BLOB_ENDPOINT within 30 s" >&2; exit 1; }
  echo "run-tests.sh: started Azurite $AZURITE_VERSION (pid $started_pid, data in $DATA_DIR/)"
fi

# The Bicep CLI comes from NuGet; restoring it is cheap when cached.
dotnet restore tools/bicep/bicep.proj --verbosity quiet

export RPO_AZURITE_BLOB="$BLOB_ENDPOINT"
log=$(mktemp)
set +e
dotnet test RpoFunctions.sln "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}
set -e
# One plain summary line for the whole suite, summed over the test assemblies.
awk '/^(Passed|Failed)! +- +Failed: /{ gsub(",", ""); f += $4; p += $6; s += $8 }
     END { printf "Tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"

# `dotnet publish` of the GPU worker (CPU LibTorch), as its Dockerfile does: proves the published output carries
# LibTorch with the GLIBCXX need weakened, and starts. Skipped when a filter narrows the run to some tests.
if [ "$#" -eq 0 ]; then
  if build/publish-worker-check.sh; then echo "run-tests.sh: worker publish check passed"; else echo "run-tests.sh: worker publish check FAILED" >&2; status=1; fi
fi
exit "$status"
