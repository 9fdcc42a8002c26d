#!/usr/bin/env bash
# Installs the cluster clients that tests/redis/cluster/test_cluster_client_scripts.py drives, into a cache folder
# outside the checkout: ioredis with `npm ci` (from package-lock.json), go-redis' workload built with its modules
# (pinned by go.sum). Usage: prepare.sh [ioredis] [goredis] (both by default). Prints where they are.
# A client whose toolchain (npm, go) is missing is left out with a note; a failed install exits non-zero.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cache="${CLOUDTWIN_CLUSTER_CLIENTS:-$HOME/.cache/cloudtwin/cluster-clients}"
clients=("$@")
[ ${#clients[@]} -eq 0 ] && clients=(ioredis goredis)
mkdir -p "$cache"

for client in "${clients[@]}"; do
    case "$client" in
    ioredis)
        if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
            echo "ioredis: node/npm not installed, left out" >&2
            continue
        fi
        target="$cache/ioredis"
        mkdir -p "$target"
        # npm ci again only when the lock file changed.
        if ! cmp -s "$here/ioredis/package-lock.json" "$target/package-lock.json" || [ ! -d "$target/node_modules" ]; then
            cp "$here/ioredis/package.json" "$here/ioredis/package-lock.json" "$target/"
            (cd "$target" && npm ci --no-audit --no-fund --loglevel=error >&2)
        fi
        echo "ioredis: $target/node_modules"
        ;;
    goredis)
        if ! command -v go >/dev/null 2>&1; then
            echo "goredis: go not installed, left out" >&2
            continue
        fi
        GOMODCACHE="$cache/gomod" GOFLAGS=-modcacherw go build -C "$here/goredis" -o "$cache/goredis-workload" . >&2
        echo "goredis: $cache/goredis-workload"
        ;;
    *)
        echo "unknown client $client (ioredis, goredis)" >&2
        exit 2
        ;;
    esac
done
