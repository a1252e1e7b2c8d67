#!/usr/bin/env bash
# The local control plane the e2e suite runs against: etcd, kube-apiserver, kube-controller-manager,
# kube-scheduler and kwok (fake nodes), built from the Go module proxy into a cache outside the repo.
#
#   cluster.sh build   build (or reuse) the binaries for the pinned versions
#   cluster.sh up      start a cluster; prints the env file to source (KUBECONFIG, PATH)
#   cluster.sh down    stop exactly what `up` started and remove its routes and state
#   cluster.sh env     print the env file of the running cluster
#   cluster.sh helm    build (or reuse) helm, for the bench's comparison with the lab's way; prints its path
#
# Test stand-ins (documented in the README): kwok instead of kubelets, a watcher that writes
# LoadBalancer/Ingress status and binds claims instead of MetalLB / ingress-nginx / a provisioner.
set -euo pipefail

K8S_VERSION=v1.35.4
STAGING_VERSION=v0.35.4
ETCD_VERSION=v3.6.16
KWOK_VERSION=v0.8.0
HELM_VERSION=v4.3.2

here=$(cd "$(dirname "$0")" && pwd)
cache=${BMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bare-metal-platform}
bin=$cache/bin/k8s-$K8S_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION
state=${BMP_CLUSTER_STATE:-${TMPDIR:-/tmp}/bmp-cluster}
# shellcheck source=lib.sh
. "$here/lib.sh"

log() { printf 'cluster: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- build ---------------------------------------------------------------------------------------

# One wrapper module per upstream module: k8s.io/kubernetes requires its staging modules at
# v0.0.0 with replace directives that only apply inside its own repo, so the wrapper replaces
# each of them with the published release of the same minor version.
build_kubernetes() {
    local want=(kube-apiserver kube-controller-manager kube-scheduler kubectl)
    local missing=0 b
    for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing=1; done
    [ $missing = 0 ] && return 0
    local mod=$cache/src/kubernetes-$K8S_VERSION
    mkdir -p "$mod" "$bin"
    (
        cd "$mod"
        local gomod
        gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
        {
            echo "module bmp.local/kubernetes"
            echo "go 1.25.0"
            echo "require k8s.io/kubernetes $K8S_VERSION"
            sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
        } >go.mod
        cat >tools.go <<'GO'
//go:build tools

package tools

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kube-scheduler"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO
        GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
        local v=k8s.io/component-base/version cv=k8s.io/client-go/pkg/version minor=${K8S_VERSION#v1.}
        minor=${minor%%.*}
        local ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $cv.gitVersion=$K8S_VERSION -X $cv.gitMajor=1 -X $cv.gitMinor=$minor"
        for b in "${want[@]}"; do
            [ -x "$bin/$b" ] && continue
            log "building $b $K8S_VERSION (minutes on a cold cache)"
            GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
            mv "$bin/$b.tmp" "$bin/$b"
        done
    )
}

# A wrapper module that requires REQUIRE (module@version) and builds PACKAGE into $bin/NAME; with
# MAIN_GO, that file is the wrapper's own main package (etcd's server module has none to build).
go_wrapper_build() {
    local name=$1 require=$2 package=$3 main_go=${4:-}
    [ -x "$bin/$name" ] && return 0
    local mod=$cache/src/$name-${require##*@}
    mkdir -p "$mod" "$bin"
    (
        cd "$mod"
        printf 'module bmp.local/%s\n\ngo 1.25.0\n' "$name" >go.mod
        if [ -n "$main_go" ]; then
            printf '%s' "$main_go" >main.go
        else
            printf '//go:build tools\n\npackage tools\n\nimport _ "%s"\n' "$package" >tools.go
        fi
        go get "$require" >/dev/null
        GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
        log "building $name ${require##*@}"
        GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$bin/$name.tmp" "$package"
        mv "$bin/$name.tmp" "$bin/$name"
    )
}

build_etcd() {
    go_wrapper_build etcd "go.etcd.io/etcd/server/v3@$ETCD_VERSION" . \
        "$(printf 'package main\n\nimport (\n\t"os"\n\n\t"go.etcd.io/etcd/server/v3/etcdmain"\n)\n\nfunc main() { etcdmain.Main(os.Args) }\n')"
}

build_kwok() {
    go_wrapper_build kwok "sigs.k8s.io/kwok@$KWOK_VERSION" sigs.k8s.io/kwok/cmd/kwok
}

# The stand-in watcher is the project's own code (test/e2e/standin).
build_standin() {
    local sum
    sum=$(cat "$here/standin/go.mod" "$here/standin/go.sum" "$here"/standin/*.go | sha256sum | cut -c1-16)
    standin=$cache/bin/standin-$sum
    [ -x "$standin" ] && return 0
    log "building the stand-in watcher"
    (cd "$here/standin" && CGO_ENABLED=0 go build -trimpath -o "$standin.tmp" . && mv "$standin.tmp" "$standin")
}

build() {
    command -v go >/dev/null || die "Go is needed to build the local control plane (go.dev/doc/install)"
    build_etcd
    build_kwok
    build_kubernetes
    build_standin
}

# --- up / down -----------------------------------------------------------------------------------

SERVICE_CIDR=10.96.0.0/16
POD_CIDR=10.244.0.0/16
# Ranges that must never leave this machine while the cluster is up: Services, pods and the
# load-balancer pools the stacks use (override with BMP_LB_RANGES, space-separated CIDRs).
LB_RANGES=${BMP_LB_RANGES:-172.17.255.0/24 192.168.56.0/24}
FAKE_NODES=${BMP_FAKE_NODES:-3}

free_port() { node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'; }

kubeconfig_for() { # NAME CN [ORG]: a client certificate signed by the cluster CA and its kubeconfig
    client_kubeconfig "$state" "$state/pki" "https://127.0.0.1:$api_port" "$@"
}

pki() {
    mkdir -p "$state/pki"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$state/pki/ca.key" -out "$state/pki/ca.crt" -days 2 -subj "/CN=bmp-e2e-ca" 2>/dev/null
    openssl req -new -newkey rsa:2048 -nodes -keyout "$state/pki/apiserver.key" -subj "/CN=kube-apiserver" -out "$state/pki/apiserver.csr" 2>/dev/null
    printf 'subjectAltName=IP:127.0.0.1,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local\n' >"$state/pki/apiserver.ext"
    openssl x509 -req -in "$state/pki/apiserver.csr" -CA "$state/pki/ca.crt" -CAkey "$state/pki/ca.key" -CAcreateserial -days 2 -extfile "$state/pki/apiserver.ext" -out "$state/pki/apiserver.crt" 2>/dev/null
    openssl genrsa -out "$state/pki/sa.key" 2048 2>/dev/null
    openssl rsa -in "$state/pki/sa.key" -pubout -out "$state/pki/sa.pub" 2>/dev/null
    kubeconfig_for admin kubernetes-admin system:masters
    kubeconfig_for controller-manager system:kube-controller-manager
    kubeconfig_for scheduler system:kube-scheduler
}

# kwok's own stage files, read from its module (not copied into this repo), plus the one stage of
# ours: a pod whose container command is `false` (the lab's broken release) crash-loops instead of
# becoming Ready, as a kubelet would report it.
stages() {
    local dir
    dir=$(cd "$cache/src/kwok-$KWOK_VERSION" && go mod download -json "sigs.k8s.io/kwok@$KWOK_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    local not_broken="    - key: '.spec.containers.[].command.[0]'\n      operator: 'NotIn'\n      values: ['false']"
    {
        cat "$dir/kustomize/stage/node/fast/node-initialize.yaml"
        echo "---"
        cat "$dir/kustomize/stage/node/heartbeat/node-heartbeat.yaml"
        echo "---"
        awk -v add="$not_broken" '{print} /^    matchExpressions:$/ && !done {print add; done=1}' "$dir/kustomize/stage/pod/fast/pod-ready.yaml"
        for f in pod-complete pod-delete; do
            echo "---"
            cat "$dir/kustomize/stage/pod/fast/$f.yaml"
        done
        echo "---"
        cat "$here/stage-crashloop.yaml"
    } >"$state/kwok.yaml"
}


# Each cluster up on this machine is registered (as root: its routes are the machine's): one file
# per cluster in $registry, named by the metric of its `unreachable` routes — unique, so clusters side
# by side each add and remove their own routes for the same ranges — holding its state folder on the
# first line and the ranges it routed on the next: the one record of its routes.
registry=/run/lock/bmp-e2e-clusters

# registration STATE: the registry file of the cluster whose state folder is STATE (none: empty).
registration() { grep -lxF "$1" "$registry"/[0-9]* 2>/dev/null | head -n 1 || true; }

# unregister FILE: removes the routes FILE lists, with its metric, then FILE.
unregister() {
    local f=$1 metric cidr
    metric=$(basename "$f")
    for cidr in $(tail -n +2 "$f"); do ip route del unreachable "$cidr" metric "$metric" 2>/dev/null || true; done
    rm -f "$f"
}

# cluster_alive STATE FILE: its API server or etcd still runs, or it is still coming up (registered
# less than 5 min ago, no API server started yet).
cluster_alive() {
    local s=$1 f=$2 name pid exe
    for name in kube-apiserver etcd; do
        pid=$(cat "$s/pids/$name" 2>/dev/null) || continue
        exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || continue
        [ "$(basename "$exe")" = "$name" ] && return 0
    done
    [ -f "$s/pids/kube-apiserver" ] && return 1
    [ -n "$(find "$f" -mmin -5 2>/dev/null)" ]
}

# sweep: takes down every registered cluster whose API server and etcd are gone — what a run killed
# before its `down` left (SIGKILL, a CI job's timeout): its real node (node.sh down, which also frees
# the node's lock), then what down_quiet removes: its remaining processes, routes, registration and
# state folder (the registration alone when the folder is gone).
sweep() {
    [ -d "$registry" ] || return 0
    exec 8>"$registry/.lock"
    flock 8
    local f s
    for f in "$registry"/[0-9]*; do
        [ -f "$f" ] || continue
        s=$(head -n 1 "$f")
        cluster_alive "$s" "$f" && continue
        log "taking down a cluster a killed run left behind (state $s)"
        if [ -d "$s/node" ]; then BMP_CLUSTER_STATE=$s BMP_NODE_STATE=$s/node bash "$here/node.sh" down || true; fi
        (state=$s && down_quiet) || true
    done
    exec 8>&-
}

routes_up() {
    local cidr metric=""
    if [ "$(id -u)" != 0 ]; then
        log "not root: no unreachable routes for $SERVICE_CIDR $POD_CIDR $LB_RANGES: dials there may leave this machine"
        return 0
    fi
    mkdir -p "$registry"
    sweep
    for metric in $(shuf -i 4000-60000 -n 100); do
        (set -o noclobber && echo "$state" >"$registry/$metric") 2>/dev/null && break
        metric=""
    done
    [ -n "$metric" ] || die "no free route metric in $registry"
    for cidr in $SERVICE_CIDR $POD_CIDR $LB_RANGES; do
        if ip route add unreachable "$cidr" metric "$metric" 2>/dev/null; then
            echo "$cidr" >>"$registry/$metric"
        else
            log "could not add an unreachable route for $cidr (metric $metric): dials there may leave this machine"
        fi
    done
}

up() {
    [ -e "$state/pids" ] && die "a cluster is already up (state in $state); run: $0 down"
    build
    local t0=$SECONDS
    mkdir -p "$state/logs" "$state/pids" "$state/volumes"
    trap 'down_quiet; exit 1' ERR INT TERM
    routes_up
    local etcd_port peer_port
    etcd_port=$(free_port)
    peer_port=$(free_port)
    api_port=$(free_port)
    pki
    start etcd "$bin/etcd" --name e2e --data-dir "$state/etcd" --unsafe-no-fsync \
        --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
        --listen-peer-urls "http://127.0.0.1:$peer_port" --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" \
        --initial-cluster "e2e=http://127.0.0.1:$peer_port" --listen-metrics-urls "" --log-level warn
    wait_for etcd 30 curl -fsS "http://127.0.0.1:$etcd_port/health"
    # TaintNodesByCondition would taint every new node not-ready, and only the node lifecycle
    # controller (off: kwok, not kubelets, keeps the nodes) would lift it. The kubelet flags let
    # `kubectl logs/exec` reach the real node's kubelet (test/e2e/node.sh) by its address.
    start kube-apiserver "$bin/kube-apiserver" --etcd-servers "http://127.0.0.1:$etcd_port" \
        --bind-address 127.0.0.1 --advertise-address 127.0.0.1 --secure-port "$api_port" \
        --tls-cert-file "$state/pki/apiserver.crt" --tls-private-key-file "$state/pki/apiserver.key" \
        --client-ca-file "$state/pki/ca.crt" --authorization-mode Node,RBAC \
        --service-account-key-file "$state/pki/sa.pub" --service-account-signing-key-file "$state/pki/sa.key" \
        --service-account-issuer https://kubernetes.default.svc.cluster.local \
        --service-cluster-ip-range "$SERVICE_CIDR" --endpoint-reconciler-type none --allow-privileged=true \
        --disable-admission-plugins TaintNodesByCondition \
        --kubelet-preferred-address-types InternalIP \
        --kubelet-client-certificate "$state/pki/admin.crt" --kubelet-client-key "$state/pki/admin.key"
    wait_for kube-apiserver 90 "$bin/kubectl" --kubeconfig "$state/admin.kubeconfig" get --raw /readyz
    start kube-controller-manager "$bin/kube-controller-manager" --kubeconfig "$state/controller-manager.kubeconfig" \
        --authentication-kubeconfig "$state/controller-manager.kubeconfig" --authorization-kubeconfig "$state/controller-manager.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false --use-service-account-credentials \
        --service-account-private-key-file "$state/pki/sa.key" --root-ca-file "$state/pki/ca.crt" \
        --cluster-signing-cert-file "$state/pki/ca.crt" --cluster-signing-key-file "$state/pki/ca.key" \
        --service-cluster-ip-range "$SERVICE_CIDR" --controllers '*,-nodeipam,-nodelifecycle,-service-lb-controller,-cloud-node-lifecycle-controller'
    start kube-scheduler "$bin/kube-scheduler" --kubeconfig "$state/scheduler.kubeconfig" \
        --authentication-kubeconfig "$state/scheduler.kubeconfig" --authorization-kubeconfig "$state/scheduler.kubeconfig" \
        --bind-address 127.0.0.1 --secure-port 0 --leader-elect=false
    stages
    start kwok "$bin/kwok" --kubeconfig "$state/admin.kubeconfig" --config "$state/kwok.yaml" \
        --manage-nodes-with-label-selector type=kwok --cidr "$POD_CIDR" --node-ip 10.0.0.1 --server-address 127.0.0.1:0
    start standin "$standin" --kubeconfig "$state/admin.kubeconfig" --volume-dir "$state/volumes" \
        --ingress-address "${BMP_INGRESS_ADDRESS:-}"
    local k=("$bin/kubectl" --kubeconfig "$state/admin.kubeconfig")
    local i
    # ephemeral-storage: the program's containers request it, and a node that advertises none fits none.
    for ((i = 1; i <= FAKE_NODES; i++)); do
        cat <<NODE
apiVersion: v1
kind: Node
metadata:
  name: kwok-node-$i
  labels: {type: kwok, kubernetes.io/hostname: kwok-node-$i, kubernetes.io/os: linux, kubernetes.io/arch: amd64}
  annotations: {node.alpha.kubernetes.io/ttl: "0", kwok.x-k8s.io/node: fake}
status:
  allocatable: {cpu: "32", memory: 256Gi, ephemeral-storage: 100Gi, pods: "110"}
  capacity: {cpu: "32", memory: 256Gi, ephemeral-storage: 100Gi, pods: "110"}
---
NODE
    done | "${k[@]}" apply -f - >/dev/null
    "${k[@]}" apply -f - >/dev/null <<'SC'
apiVersion: storage.k8s.io/v1
kind: StorageClass
metadata:
  name: standard
  annotations: {storageclass.kubernetes.io/is-default-class: "true"}
provisioner: bmp.local/standin
reclaimPolicy: Delete
volumeBindingMode: Immediate
SC
    wait_for "the fake nodes" 60 sh -c "[ \$(${k[*]} get nodes -l type=kwok --no-headers 2>/dev/null | grep -c ' Ready') -eq $FAKE_NODES ]"
    wait_for "the default ServiceAccount" 60 "${k[@]}" get serviceaccount default -n default
    cat >"$state/env" <<ENV
export KUBECONFIG="$state/admin.kubeconfig"
export PATH="$bin:\$PATH"
ENV
    trap - ERR INT TERM
    log "up in $((SECONDS - t0))s: API server https://127.0.0.1:$api_port, $FAKE_NODES kwok nodes; source $state/env"
    echo "$state/env"
}

# Stops what `up` started, by the PIDs it saved (a PID is only signalled while it still runs the
# binary it was started as), removes the routes it added, its registration and its state folder.
down_quiet() {
    local f pid exe reg
    if [ -d "$state/pids" ]; then
        for f in standin kwok kube-scheduler kube-controller-manager kube-apiserver etcd; do
            [ -f "$state/pids/$f" ] || continue
            pid=$(cat "$state/pids/$f")
            exe=$(basename "$(readlink "/proc/$pid/exe" 2>/dev/null)" 2>/dev/null || true)
            case "$exe" in "$f" | "$f"-*) kill -TERM "$pid" 2>/dev/null || true ;; *) continue ;; esac
            for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
            kill -KILL "$pid" 2>/dev/null || true
        done
    fi
    reg=$(registration "$state")
    [ -z "$reg" ] || unregister "$reg"
    rm -rf "$state"
}

down() {
    [ -d "$state" ] || { log "no cluster is up (no $state)"; return 0; }
    down_quiet
    log "down: processes stopped, routes removed, $state deleted"
}

# helm is built only when asked: the suite does not use it, the bench's lab-way comparison does.
build_helm() {
    bin=$cache/bin/helm-$HELM_VERSION go_wrapper_build helm "helm.sh/helm/v4@$HELM_VERSION" helm.sh/helm/v4/cmd/helm
    echo "$cache/bin/helm-$HELM_VERSION/helm"
}

case "${1:-}" in
build) build ;;
helm) build_helm ;;
up) up ;;
down) down ;;
env) [ -f "$state/env" ] && cat "$state/env" || die "no cluster is up" ;;
*) echo "usage: cluster.sh build|up|down|env|helm" >&2; exit 2 ;;
esac
