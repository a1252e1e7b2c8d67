#!/usr/bin/env bash
# `charts.sh DIR`: the e2e suite's own Helm chart repository, made in DIR (index.yaml and .tgz files)
# from sources every machine reaches, so the suite needs no chart repository of the internet:
#
#   metallb <the program's pinned version>   the chart inside go.universe.tf/metallb at that tag (Go
#                                            module proxy), with the subcharts it carries (crds, frr-k8s)
#
# Charts that no registry here carries (ingress-nginx, NGINX Gateway Fabric, the Dashboard) are added
# from BMP_CHART_MIRROR (default ~/.cache/bare-metal-platform/chart-mirror: a folder with the
# pinned .tgz files, made by hand where their repositories can be reached) when it exists; the
# cases that need them say in one line that they did not run when it does not. Prints the
# "name-version" of every chart the repository holds, one a line.
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
cache=${BMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bare-metal-platform}
mirror=${BMP_CHART_MIRROR:-$cache/chart-mirror}
log() { printf 'charts: %s\n' "$*" >&2; }

# The MetalLB chart version the program pins (components/network/metallb.ts), and its module tag.
metallb=$(cd "$root" && node --import tsx -e 'console.log(require("./components/network/metallb.ts").METALLB_CHART_DEFAULT.version)')
mkdir -p "$out"
tgz=$out/metallb-$metallb.tgz
if [ ! -f "$tgz" ]; then
    dir=$(cd "${TMPDIR:-/tmp}" && go mod download -json "go.universe.tf/metallb@v$metallb" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [ -f "$dir/charts/metallb/Chart.yaml" ] || { log "go.universe.tf/metallb@v$metallb has no charts/metallb"; exit 1; }
    grep -q "^version: $metallb\$" "$dir/charts/metallb/Chart.yaml" || { log "charts/metallb of v$metallb is not chart version $metallb"; exit 1; }
    # A chart archive is the chart's folder, named as the chart, in a gzipped tar.
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=u+rw,go+r -C "$dir/charts" -czf "$tgz.tmp" metallb
    mv "$tgz.tmp" "$tgz"
    log "metallb $metallb packed from go.universe.tf/metallb@v$metallb"
fi

if [ -d "$mirror" ]; then
    for f in "$mirror"/*.tgz; do
        [ -f "$f" ] || continue
        case "$(basename "$f")" in metallb-*) continue ;; esac
        cp -u "$f" "$out/"
    done
fi

# index.yaml from the archives' own Chart.yaml (what `helm repo index` writes, minus provenance).
node --import tsx "$here/chart-index.ts" "$out"
