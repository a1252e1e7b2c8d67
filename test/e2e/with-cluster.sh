#!/usr/bin/env bash
# `with-cluster.sh COMMAND…`: runs COMMAND with a local control plane up (test/e2e/cluster.sh), its
# real node (test/e2e/node.sh), the fixtures a real cluster would have applied and the suite's chart
# repository (test/e2e/charts.sh) served; stops all of it on every exit. KUBECONFIG, PATH (the built
# kubectl first), BMP_CHART_REPO, BMP_CHARTS (its charts, "name-version" a word) and BMP_E2E_STATE
# are exported to COMMAND. `npm run test:e2e` and `npm run bench` run through it.
#
# BMP_REAL_NODE=0: the control plane with its kwok nodes only — node.sh is neither built, brought up
# nor taken down, so this runs beside a suite that holds the machine's one real node (node.sh's
# lock). Nothing needing a running container works then (no pod answers, no LAN, no enforced
# NetworkPolicy). `npm run bench` runs so by default; `npm run test:e2e` never does (default 1).
# BMP_REAL_NODE is exported to COMMAND.
set -euo pipefail
cd "$(dirname "$0")/../.."
here=test/e2e
real_node=${BMP_REAL_NODE:-1}
export BMP_REAL_NODE=$real_node

missing=$(bash "$here/toolchain.sh" check) || { echo "e2e: $missing" >&2; exit 1; }
[ $# -gt 0 ] || { echo "usage: with-cluster.sh COMMAND…" >&2; exit 2; }

t0=$SECONDS
if [ "$real_node" = 0 ]; then
    bash "$here/cluster.sh" build
else
    # Side by side (2 cores: one build's module downloads and links overlap the other's compiles);
    # then the node's kubelet and kube-proxy, on the control plane's compiled packages.
    bash "$here/node.sh" build-beside &
    beside=$!
    bash "$here/cluster.sh" build || { pkill -TERM -P "$beside" 2>/dev/null; kill "$beside" 2>/dev/null; wait "$beside" 2>/dev/null; exit 1; }
    wait "$beside" || { echo "e2e: node.sh build-beside failed" >&2; exit 1; }
    bash "$here/node.sh" build
fi
echo "# time build (cached when warm): $((SECONDS - t0)) s"

state=$(mktemp -d "${TMPDIR:-/tmp}/bmp-e2e-cluster-XXXXXX")
export BMP_CLUSTER_STATE=$state/cluster
# The ingress-nginx stand-in answers on the e2e stack's ingressNginx.loadBalancerIP.
export BMP_INGRESS_ADDRESS=${BMP_INGRESS_ADDRESS:-172.17.255.3}
cleanup() {
    # A second signal (a CI job's timeout, a user's second Ctrl-C) must not cut the cleanup short: the
    # API server it would leave running counts as another run's to the next sweep, which keeps it.
    trap '' INT TERM
    [ -f "$state/chart-repo.pid" ] && kill "$(cat "$state/chart-repo.pid")" 2>/dev/null
    [ "$real_node" = 0 ] || bash "$here/node.sh" down || true
    bash "$here/cluster.sh" down || true
    rm -rf "$state"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

t0=$SECONDS
envfile=$(bash "$here/cluster.sh" up)
# shellcheck disable=SC1090
source "$envfile"
if [ "$real_node" = 0 ]; then echo "# BMP_REAL_NODE=0: kwok nodes only, no real node"; else bash "$here/node.sh" up; fi
kubectl apply -f "$here/fixtures/" >/dev/null
kubectl wait --for=condition=Established crd/ipaddresspools.metallb.io crd/l2advertisements.metallb.io --timeout=30s >/dev/null
echo "# time control plane up: $((SECONDS - t0)) s"

# The suite's own chart repository (test/e2e/charts.sh: MetalLB's chart from the Go module proxy,
# the others from BMP_CHART_MIRROR where it exists), served on loopback for the suite.
BMP_CHARTS=$(bash "$here/charts.sh" "$state/charts" | paste -sd ' ' -)
export BMP_CHARTS
node --import tsx "$here/serve-dir.ts" "$state/charts" >"$state/chart-repo" &
echo $! >"$state/chart-repo.pid"
for _ in $(seq 50); do [ -s "$state/chart-repo" ] && break; sleep 0.1; done
BMP_CHART_REPO=$(cat "$state/chart-repo")
export BMP_CHART_REPO
echo "# charts served at $BMP_CHART_REPO: $BMP_CHARTS"

export BMP_E2E_STATE=$state
"$@"
