#!/usr/bin/env bash
# `charts.sh DIR`: the e2e suite's own Helm chart repository, made in DIR (index.yaml and .tgz files)
# from sources every machine reaches, so the suite needs no chart repository of the internet:
#
#   metallb <the program's pinned version>         the chart inside go.universe.tf/metallb at that tag (Go
#                                                  module proxy), with the subcharts it carries (crds, frr-k8s)
#   ingress-nginx <the program's pinned version>   charts/ingress-nginx of the controller's source tarball
#   nginx-gateway-fabric <the pinned version>      charts/nginx-gateway-fabric of its source tarball, its
#                                                  crds/ link followed (test/e2e/sources.sh finds and checks both)
#
# The Dashboard's chart is in no source at hand (its repository was retired): it is added from
# BMP_CHART_MIRROR (default ~/.cache/bare-metal-platform/chart-mirror: a folder with pinned .tgz files,
# made by hand where its repository can be reached) when that exists; the case that needs it says in
# one line that it did not run when it does not. Prints the "name-version" of every chart the
# repository holds, one a line.
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

# pinned NAME: the chart version the program pins (<NAME>_CHART_DEFAULT in components/network/).
pinned() {
    (cd "$root" && node --import tsx -e "console.log(require('./components/network').$1.version)")
}

# from_source NAME VERSION TARBALL: DIR/NAME-VERSION.tgz packed from TARBALL's charts/NAME.
from_source() {
    local name=$1 version=$2 tarball=$3 tgz=$out/$1-$2.tgz work
    [ -f "$tgz" ] && return 0
    tarball=$(bash "$here/sources.sh" "$tarball")
    work=$(mktemp -d "${TMPDIR:-/tmp}/bmp-chart-XXXXXX")
    tar -xzf "$tarball" -C "$work"
    local dir
    dir=$(echo "$work"/*/charts)
    grep -q "^version: $version\$" "$dir/$name/Chart.yaml" || { log "charts/$name of $(basename "$tarball") is not chart version $version"; rm -rf "$work"; exit 1; }
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 --mode=u+rw,go+r --dereference -C "$dir" -czf "$tgz.tmp" "$name"
    mv "$tgz.tmp" "$tgz"
    rm -rf "$work"
    log "$name $version packed from $(basename "$tarball")"
}

# The chart ships in the source of its controller release (chart 4.15.1 is appVersion 1.15.1).
from_source ingress-nginx "$(pinned INGRESS_NGINX_CHART_DEFAULT)" ingress-nginx-controller-v1.15.1.tar.gz
from_source nginx-gateway-fabric "$(pinned NGINX_GATEWAY_CHART_DEFAULT)" "nginx-gateway-fabric-chart-$(pinned NGINX_GATEWAY_CHART_DEFAULT).tar.gz"

if [ -d "$mirror" ]; then
    for f in "$mirror"/*.tgz; do
        [ -f "$f" ] || continue
        case "$(basename "$f")" in metallb-* | ingress-nginx-* | nginx-gateway-fabric-*) continue ;; esac
        cp -u "$f" "$out/"
    done
fi

# index.yaml from the archives' own Chart.yaml (what `helm repo index` writes, minus provenance).
node --import tsx "$here/chart-index.ts" "$out"
