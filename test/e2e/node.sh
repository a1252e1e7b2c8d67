#!/usr/bin/env bash
# One real node beside kwok's fake ones: containerd (github.com/containerd/containerd/v2 from the Go
# module proxy) with Debian's runc and CNI plugins, kubelet and kube-proxy from the control plane's
# k8s.io/kubernetes tag, and images imported into containerd under the names the program pins
# (node/images.sh: stand-ins for the apps; the network controllers, ingress-nginx and MinIO built from
# their source). Pod networking stays on this machine: one bridge, one network namespace per pod.
# NetworkPolicies are enforced as k3s enforces them: kube-router's policy controller
# (github.com/cloudnativelabs/kube-router/v2 from the module proxy), alone, with its own iptables
# chains and ipsets.
#
# The lab's LAN, also on this machine: the node's second link `bmp-lan0` leads to one client host,
# the network namespace `bmp-client`, whose only routes go to the load-balancer pools (on-link, so
# the client asks for them by ARP, as a laptop on the lab's network does) and to the node's address
# (NodePorts). MetalLB's speaker is told to announce on that link only (metallb.interfaces).
# Nothing the node forwards may leave through the machine's own interfaces (an iptables guard).
#
# What a cluster installer provides and kwok does not: the API server reachable from pods (the
# `kubernetes` Service's endpoint is a forwarder on the node's address to the loopback API server)
# and the kubelet's cluster DNS at $CLUSTER_DNS (CoreDNS itself is a fixture: fixtures/coredns.yaml).
#
#   node.sh build   build (or reuse) the binaries and the images, into the cache outside the repo
#                   (`build-beside`: all but kubelet and kube-proxy, run beside cluster.sh build)
#   node.sh up      join the node `real-node` to the cluster of $BMP_CLUSTER_STATE (cluster.sh up)
#   node.sh down    remove every pod, container, netns, veth, mount, cgroup, iptables rule, ipset and route
#                   it made, stop what it started and delete its state
#
# The node is registered with the taint bmp.local/real-node=true:NoSchedule, so only workloads that
# tolerate it (node-exporter tolerates everything) land on it; test/e2e/realnode.e2e.ts moves the
# taint to the fake nodes for its own stack. One real node per machine at a time: `up` waits for
# the lock a running one holds (its iptables rules, ports and bridge are the machine's).
set -euo pipefail

K8S_VERSION=v1.35.4
STAGING_VERSION=v0.35.4
CONTAINERD_VERSION=v2.2.9
NODE_EXPORTER_VERSION=v1.9.1
# k3s's NetworkPolicy enforcer (its policy controller alone); the only version the module proxy serves.
KUBE_ROUTER_VERSION=v2.1.0
# The Debian packages the node needs on the host (installed by `build` when missing, as root); curl and
# dig are the README's own checks, which the quick-start case runs as written (test/e2e/quickstart.e2e.ts).
DEBIAN_PACKAGES="runc containernetworking-plugins iptables ipset conntrack socat tcpdump curl bind9-dnsutils"

here=$(cd "$(dirname "$0")" && pwd)
cache=${BMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bare-metal-platform}
bin=$cache/bin/node-k8s-$K8S_VERSION-containerd-$CONTAINERD_VERSION
images=$cache/images
cluster_state=${BMP_CLUSTER_STATE:-${TMPDIR:-/tmp}/bmp-cluster}
state=${BMP_NODE_STATE:-$cluster_state/node}
# shellcheck source=lib.sh
. "$here/lib.sh"
lock=/run/lock/bmp-real-node.lock

NODE_NAME=real-node
BRIDGE=bmp-cni0
POD_SUBNET=10.245.0.0/24
NODE_IP=10.245.0.1
SERVICE_CIDR=10.96.0.0/16
ROUTE_TABLE=4245
TAINT=bmp.local/real-node=true:NoSchedule
CLUSTER_DNS=10.96.0.10
API_PROXY_PORT=6443
LAN_LINK=bmp-lan0
LAN_NODE_IP=10.246.0.1
LAN_PREFIX=24
CLIENT_NETNS=bmp-client
CLIENT_IP=10.246.0.2
# The load-balancer pools the client reaches (cluster.sh keeps them `unreachable` on the machine).
LB_RANGES=${BMP_LB_RANGES:-172.17.255.0/24 192.168.56.0/24}
GUARD_CHAIN=BMP-GUARD
KUBE_ROUTER_USER=bmp:kube-router

log() { printf 'node: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

# --- build ---------------------------------------------------------------------------------------

# kubelet and kube-proxy: the same wrapper-module technique as cluster.sh (k8s.io/kubernetes with
# its staging modules replaced by their published release), in a module of its own.
build_kubernetes() {
    local want=(kubelet kube-proxy) missing=0 b
    for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing=1; done
    [ $missing = 0 ] && return 0
    local mod=$cache/src/kubernetes-node-$K8S_VERSION
    mkdir -p "$mod" "$bin"
    (
        cd "$mod"
        local gomod
        gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
        {
            echo "module bmp.local/kubernetes-node"
            echo "go 1.25.0"
            echo "require k8s.io/kubernetes $K8S_VERSION"
            sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
        } >go.mod
        printf '//go:build tools\n\npackage tools\n\nimport (\n\t_ "k8s.io/kubernetes/cmd/kubelet"\n\t_ "k8s.io/kubernetes/cmd/kube-proxy"\n)\n' >tools.go
        GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
        local v=k8s.io/component-base/version cv=k8s.io/client-go/pkg/version minor=${K8S_VERSION#v1.}
        minor=${minor%%.*}
        local ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $cv.gitVersion=$K8S_VERSION -X $cv.gitMajor=1 -X $cv.gitMinor=$minor"
        for b in "${want[@]}"; do
            [ -x "$bin/$b" ] && continue
            log "building $b $K8S_VERSION (minutes on a cold cache)"
            GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -ldflags "$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
            mv "$bin/$b.tmp" "$bin/$b"
        done
    )
}

# go_build NAME MODULE@VERSION PACKAGE [TAGS] [LDFLAGS]: a wrapper module requiring MODULE@VERSION
# builds PACKAGE (static) into OUT=$bin/NAME unless OUT is set.
go_build() {
    local name=$1 require=$2 package=$3 tags=${4:-} ldflags=${5:-} out=${OUT:-$bin/$1}
    [ -x "$out" ] && return 0
    local mod=$cache/src/${require%@*}
    mod=$cache/src/$(basename "${mod%/v[0-9]}")-${require##*@}
    mkdir -p "$mod" "$(dirname "$out")"
    (
        cd "$mod"
        [ -f go.mod ] || printf 'module bmp.local/%s\n\ngo 1.25.0\n' "$(basename "$mod")" >go.mod
        grep -q "\"$package\"" tools.go 2>/dev/null || {
            [ -f tools.go ] || printf '//go:build tools\n\npackage tools\n' >tools.go
            printf 'import _ "%s"\n' "$package" >>tools.go
        }
        go get "$require" >/dev/null 2>&1
        GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
        log "building $name ${require##*@}"
        GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$out.tmp" "$package"
        mv "$out.tmp" "$out"
    )
}

# kube-router from a copy of its module (its own go.mod and go.sum decide the dependencies: the
# upstream build, not a re-resolved one), as k3s embeds it.
build_kube_router() {
    local out=$bin/kube-router-$KUBE_ROUTER_VERSION m=github.com/cloudnativelabs/kube-router/v2 from src
    [ -x "$out" ] && return 0
    from=$(cd "${TMPDIR:-/tmp}" && go mod download -json "$m@$KUBE_ROUTER_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    [ -n "$from" ] || die "go mod download $m@$KUBE_ROUTER_VERSION failed"
    src=$cache/src/module-kube-router-$KUBE_ROUTER_VERSION
    rm -rf "$src" && cp -r "$from" "$src" && chmod -R u+w "$src"
    log "building kube-router $KUBE_ROUTER_VERSION (minutes on a cold cache)"
    (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w -X $m/pkg/version.Version=$KUBE_ROUTER_VERSION" -o "$out.tmp" ./cmd/kube-router)
    mv "$out.tmp" "$out"
    rm -rf "$src"
}

build_containerd() {
    local c=github.com/containerd/containerd/v2 b
    for b in containerd containerd-shim-runc-v2 ctr; do
        go_build "$b" "$c@$CONTAINERD_VERSION" "$c/cmd/$b" "no_btrfs no_devmapper no_zfs" "-X $c/version.Version=$CONTAINERD_VERSION"
    done
}

debian_packages() {
    local p missing=()
    for p in $DEBIAN_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} = 0 ] && return 0
    [ "$(id -u)" = 0 ] || die "the real node needs the Debian packages ${missing[*]} (apt-get install ${missing[*]}, as root)"
    log "installing ${missing[*]} from Debian"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# What shares no Go package with the control plane's build (its own modules and versions), so that
# with-cluster.sh builds it beside cluster.sh build: one build's downloads and single-threaded links
# overlap the other's compiles.
build_beside() {
    command -v go >/dev/null || die "Go is needed to build the real node"
    debian_packages
    build_containerd
    build_kube_router
    bash "$here/node/images.sh" "$images"
}

# kubelet and kube-proxy last: they compile k8s.io/kubernetes's packages, which the control plane's
# build has compiled by then (the Go build cache), never twice side by side.
build() {
    build_beside
    build_kubernetes
}

# --- up / down -----------------------------------------------------------------------------------

kubeconfig() { # NAME CN ORG: a client certificate signed by the cluster CA and its kubeconfig
    client_kubeconfig "$state" "$cluster_state/pki" "$api_server" "$@"
}

# What the kubelet and the LAN change on the host that `down` must put back: kernel tunables.
SYSCTLS="net/ipv4/ip_forward vm/overcommit_memory vm/panic_on_oom kernel/panic kernel/panic_on_oops kernel/keys/root_maxkeys kernel/keys/root_maxbytes"

snapshot_host() {
    local f
    for f in $SYSCTLS; do echo "$f $(cat "/proc/sys/$f")"; done >"$state/sysctls"
    for t in iptables ip6tables; do "$t-save" 2>/dev/null | sed -n 's/^:\([^ ]*\) .*/\1/p' | sort -u >"$state/chains.$t"; done
    ipset list -n 2>/dev/null | sort >"$state/ipsets.before" || true
    ls /var/run/netns 2>/dev/null | sort >"$state/netns.before" || true
    # Folders the runtime makes at fixed paths (shim sockets, the CNI result cache, container log links).
    local d
    for d in /run/containerd /var/lib/cni /var/log/containers; do
        [ -e "$d" ] && echo "$d"
    done >"$state/fixed-dirs.before"
    awk '$5=="/" {print ($7 ~ /^shared:/) ? "shared" : "private"}' /proc/self/mountinfo >"$state/root-propagation"
}

config_files() {
    mkdir -p "$state/cni/conf" "$state/cni/data" "$state/containerd" "$state/kubelet" "$state/pod-logs"
    cat >"$state/cni/conf/10-bmp.conflist" <<CNI
{
  "cniVersion": "1.0.0",
  "name": "bmp-real-node",
  "plugins": [
    {
      "type": "bridge", "bridge": "$BRIDGE", "isGateway": true, "isDefaultGateway": true, "ipMasq": false, "hairpinMode": true,
      "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_SUBNET", "gateway": "$NODE_IP"}]], "dataDir": "$state/cni/data"}
    }
  ]
}
CNI
    cat >"$state/containerd/config.toml" <<TOML
version = 3
root = "$state/containerd/root"
state = "$state/containerd/state"
disabled_plugins = ["io.containerd.nri.v1.nri", "io.containerd.snapshotter.v1.blockfile", "io.containerd.snapshotter.v1.erofs"]
[grpc]
  address = "$state/containerd.sock"
[ttrpc]
  address = "$state/containerd.sock.ttrpc"
[debug]
  address = ""
[plugins."io.containerd.cri.v1.images"]
  snapshotter = "overlayfs"
  [plugins."io.containerd.cri.v1.images".pinned_images]
    sandbox = "registry.k8s.io/pause:3.10.1"
[plugins."io.containerd.cri.v1.runtime"]
  enable_selinux = false
  netns_mounts_under_state_dir = true
  # Without CAP_SYS_RESOURCE (this VM drops it) runc cannot lower a sandbox's oom_score_adj to -998.
  restrict_oom_score_adj = true
  [plugins."io.containerd.cri.v1.runtime".cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$state/cni/conf"
  [plugins."io.containerd.cri.v1.runtime".containerd]
    default_runtime_name = "runc"
    [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.cri.v1.runtime".containerd.runtimes.runc.options]
        BinaryName = "$(command -v runc)"
        Root = "$state/runc"
        SystemdCgroup = false
TOML
    cat >"$state/kubelet/config.yaml" <<YAML
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
failCgroupV1: false
cgroupDriver: cgroupfs
cgroupRoot: /bmp-node
containerRuntimeEndpoint: unix://$state/containerd.sock
address: $NODE_IP
port: 10250
readOnlyPort: 0
healthzBindAddress: 127.0.0.1
healthzPort: 10248
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: "$cluster_state/pki/ca.crt"}
authorization: {mode: Webhook}
registerWithTaints: [{key: bmp.local/real-node, value: "true", effect: NoSchedule}]
podLogsDir: $state/pod-logs
failSwapOn: false
resolvConf: ""
clusterDomain: cluster.local
clusterDNS: [$CLUSTER_DNS]
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {memory.available: "100Mi", nodefs.available: "1%", imagefs.available: "1%"}
fileCheckFrequency: 0s
syncFrequency: 10s
nodeStatusReportFrequency: 10s
containerLogMaxSize: 1Mi
YAML
}

# The node's fixed-name network objects, removed by name wherever they are, one line each on stdout
# for what was there: the client's namespace (its end of the LAN link goes with it), the LAN link,
# the guard, the bridge, the Service addresses' rule and route table. Only ever run holding the
# node's lock, so no other node owns them: by `down`, and by `up` before it makes them.
remove_network() {
    if ip netns list 2>/dev/null | grep -qw "^$CLIENT_NETNS"; then
        ip netns del "$CLIENT_NETNS" 2>/dev/null || true
        echo "netns $CLIENT_NETNS"
    fi
    rmdir /var/run/netns 2>/dev/null || true
    if ip link show "$LAN_LINK" >/dev/null 2>&1; then ip link del "$LAN_LINK" 2>/dev/null || true; echo "link $LAN_LINK"; fi
    if iptables -S "$GUARD_CHAIN" >/dev/null 2>&1; then
        while iptables -D FORWARD -j "$GUARD_CHAIN" 2>/dev/null; do :; done
        iptables -F "$GUARD_CHAIN" 2>/dev/null && iptables -X "$GUARD_CHAIN" 2>/dev/null || true
        echo "iptables chain $GUARD_CHAIN"
    fi
    if ip link show "$BRIDGE" >/dev/null 2>&1; then ip link del "$BRIDGE" 2>/dev/null || true; echo "bridge $BRIDGE"; fi
    if ip rule | grep -q "lookup $ROUTE_TABLE"; then
        while ip rule del lookup $ROUTE_TABLE 2>/dev/null; do :; done
        echo "rule to $SERVICE_CIDR"
    fi
    if [ -n "$(ip route show table $ROUTE_TABLE 2>/dev/null)" ]; then ip route flush table $ROUTE_TABLE 2>/dev/null || true; echo "routes in table $ROUTE_TABLE"; fi
    return 0
}

# With the lock held no other node is up, so a node's objects still on the machine were left by a
# run killed before its `down` whose cluster was not registered for cluster.sh's sweep (they would
# make `up` fail: "File exists"): removed, named in one line.
clear_stale() {
    local found pid
    found=$(remove_network)
    for pid in $(pgrep -f "TCP-LISTEN:$API_PROXY_PORT,bind=$NODE_IP"); do kill -KILL "$pid" 2>/dev/null && found+=$'\n'"process socat $pid"; done
    found=$(sed '/^$/d' <<<"$found")
    [ -z "$found" ] || log "removed what a killed run's node left: $(paste -sd ';' <<<"$found")"
}

up() {
    [ -f "$cluster_state/env" ] || die "no cluster is up in $cluster_state (run cluster.sh up first)"
    [ -e "$state/pids" ] && die "the real node is already up (state in $state); run: $0 down"
    [ "$(id -u)" = 0 ] || die "the real node needs root (bridge, network namespaces, iptables, cgroups)"
    build
    local t0=$SECONDS
    # Held by a sleeping holder process until `down` has removed everything and stops it last.
    exec 9>"$lock"
    if ! flock -n 9; then
        log "another real node is up on this machine; waiting for it (up to 30 min)"
        flock -w 1800 9 || die "the real node lock $lock is still held after 30 min"
    fi
    clear_stale
    mkdir -p "$state/logs" "$state/pids" "$state/pki"
    setsid sleep 2147483647 >/dev/null 2>&1 </dev/null &
    echo $! >"$state/pids/lock-holder"
    exec 9>&-
    trap 'rc=$?; [ $rc = 0 ] || down_quiet; exit $rc' EXIT
    trap 'exit 1' INT TERM
    snapshot_host
    cluster_bin=$(sed -n 's/^export PATH="\(.*\):\$PATH"$/\1/p' "$cluster_state/env")
    echo "$cluster_bin" >"$state/cluster-bin"
    api_server=$(sed -n 's/.*server: "\([^"]*\)".*/\1/p' "$cluster_state/admin.kubeconfig")
    kubeconfig kubelet "system:node:$NODE_NAME" system:nodes
    kubeconfig kube-proxy system:kube-proxy system:node-proxier
    kubeconfig kube-router "$KUBE_ROUTER_USER"
    config_files

    # The pods' bridge, with the node's address; Service addresses are routed to it (ahead of the
    # control plane's `unreachable` route) so that kube-proxy's rules decide where they go.
    ip link add "$BRIDGE" type bridge
    ip addr add "$NODE_IP/${POD_SUBNET#*/}" dev "$BRIDGE"
    ip link set "$BRIDGE" up
    ip route replace "$SERVICE_CIDR" dev "$BRIDGE" src "$NODE_IP" table $ROUTE_TABLE
    ip rule add to "$SERVICE_CIDR" lookup $ROUTE_TABLE pref $ROUTE_TABLE
    lan_up
    # node-exporter mounts the host's / with HostToContainer propagation, which needs / shared.
    [ "$(cat "$state/root-propagation")" = shared ] || mount --make-shared /

    # The kubelet's cgroup root, in every v1 hierarchy (cpuset's needs its parent's CPUs and memory nodes).
    local h
    for h in /sys/fs/cgroup/*/; do
        [ -f "$h/cgroup.procs" ] && [ "$h" != /sys/fs/cgroup/unified/ ] || continue
        mkdir -p "$h/bmp-node"
    done
    cat /sys/fs/cgroup/cpuset/cpuset.cpus >/sys/fs/cgroup/cpuset/bmp-node/cpuset.cpus
    cat /sys/fs/cgroup/cpuset/cpuset.mems >/sys/fs/cgroup/cpuset/bmp-node/cpuset.mems

    start containerd "$bin/containerd" --config "$state/containerd/config.toml"
    wait_for containerd 30 "$bin/ctr" --address "$state/containerd.sock" version
    local image name alias
    while read -r image; do
        "$bin/ctr" --address "$state/containerd.sock" -n k8s.io images import "$image" >/dev/null 2>&1
    done <"$images/current"
    # Images a chart pins by digest as well as tag (ingress-nginx's): an image built here has a digest
    # of its own, so it is also named by the pinned digest, which is the reference the kubelet resolves.
    if [ -f "$images/aliases" ]; then
        while read -r name alias; do
            "$bin/ctr" --address "$state/containerd.sock" -n k8s.io images tag --force "$name" "$alias" >/dev/null
        done <"$images/aliases"
    fi
    start kubelet "$bin/kubelet" --config "$state/kubelet/config.yaml" --kubeconfig "$state/kubelet.kubeconfig" \
        --root-dir "$state/kubelet/root" --cert-dir "$state/kubelet/pki" --hostname-override "$NODE_NAME" \
        --node-ip "$NODE_IP" --node-labels "bmp.local/real-node=true"
    start kube-proxy "$bin/kube-proxy" --kubeconfig "$state/kube-proxy.kubeconfig" --hostname-override "$NODE_NAME" \
        --proxy-mode iptables --nodeport-addresses primary --cluster-cidr "$POD_SUBNET" --bind-address "$NODE_IP" \
        --healthz-bind-address 127.0.0.1:10256 --metrics-bind-address 127.0.0.1:10249 \
        --conntrack-max-per-core 0 --conntrack-tcp-timeout-established 0 --conntrack-tcp-timeout-close-wait 0
    local k=("$cluster_bin/kubectl" --kubeconfig "$cluster_state/admin.kubeconfig")
    api_for_pods "${k[@]}"
    wait_for "the node $NODE_NAME" 90 sh -c "${k[*]} get node $NODE_NAME --no-headers | grep -q ' Ready'"
    policy_enforcer "${k[@]}"
    trap - EXIT INT TERM
    log "up in $((SECONDS - t0))s: node $NODE_NAME ($NODE_IP, pods in $POD_SUBNET, taint $TAINT)"
}

# The lab's LAN: the link to the client host, the client's routes, forwarding between the node's
# links, and the guard that drops whatever the node would forward out of the machine's interfaces.
lan_up() {
    ip netns add "$CLIENT_NETNS"
    ip link add "$LAN_LINK" type veth peer name eth0 netns "$CLIENT_NETNS"
    ip addr add "$LAN_NODE_IP/$LAN_PREFIX" dev "$LAN_LINK"
    ip link set "$LAN_LINK" up
    local c=(ip -n "$CLIENT_NETNS") cidr
    "${c[@]}" link set lo up
    "${c[@]}" addr add "$CLIENT_IP/$LAN_PREFIX" dev eth0
    "${c[@]}" link set eth0 up
    for cidr in $LB_RANGES; do "${c[@]}" route add "$cidr" dev eth0; done
    "${c[@]}" route add "$NODE_IP/32" via "$LAN_NODE_IP"
    local out
    out=$(ip route show default | awk '{for (i = 1; i < NF; i++) if ($i == "dev") print $(i + 1)}' | sort -u)
    iptables -N "$GUARD_CHAIN"
    iptables -I FORWARD 1 -j "$GUARD_CHAIN"
    local o
    for o in $out; do
        iptables -A "$GUARD_CHAIN" -i "$BRIDGE" -o "$o" -j DROP
        iptables -A "$GUARD_CHAIN" -i "$LAN_LINK" -o "$o" -j DROP
    done
    echo 1 >/proc/sys/net/ipv4/ip_forward
}

# Pods reach the API server as on any cluster, through the `kubernetes` Service: its endpoint is a
# forwarder on the node's address to the loopback-only API server (whose certificate names the
# Service's address), since the API server's own endpoint reconciler is off.
api_for_pods() {
    local port
    port=$(sed -n 's#.*server: "https://127.0.0.1:\([0-9]*\)".*#\1#p' "$cluster_state/admin.kubeconfig")
    start api-forwarder socat "TCP-LISTEN:$API_PROXY_PORT,bind=$NODE_IP,reuseaddr,fork" "TCP:127.0.0.1:$port"
    wait_for "the API forwarder" 10 sh -c "echo | socat - TCP:$NODE_IP:$API_PROXY_PORT"
    "$@" apply -f - >/dev/null <<SLICE
apiVersion: discovery.k8s.io/v1
kind: EndpointSlice
metadata:
  name: kubernetes-real-node
  namespace: default
  labels: {kubernetes.io/service-name: kubernetes, endpointslice.kubernetes.io/managed-by: bmp.local-real-node}
addressType: IPv4
endpoints: [{addresses: ["$NODE_IP"], conditions: {ready: true}}]
ports: [{name: https, port: $API_PROXY_PORT, protocol: TCP}]
SLICE
}

# NetworkPolicy enforced as k3s enforces it: kube-router's policy controller alone (its routing,
# service proxy and CNI off: the bridge and kube-proxy do those here), with its default settings
# but the Service range, no health or metrics port, and the node's name. It reads pods, namespaces
# and policies with a read-only role, and keeps its own iptables chains (KUBE-ROUTER-*,
# KUBE-NWPLCY-*, KUBE-POD-FW-*) and ipsets, which `down` removes as it removes kube-proxy's.
policy_enforcer() {
    "$@" apply -f - >/dev/null <<RBAC
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: $KUBE_ROUTER_USER, labels: {bmp.local/real-node: "true"}}
rules:
  - apiGroups: [""]
    resources: [pods, namespaces, nodes, services, endpoints]
    verbs: [get, list, watch]
  - apiGroups: [discovery.k8s.io]
    resources: [endpointslices]
    verbs: [get, list, watch]
  - apiGroups: [networking.k8s.io]
    resources: [networkpolicies]
    verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: $KUBE_ROUTER_USER, labels: {bmp.local/real-node: "true"}}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: $KUBE_ROUTER_USER}
subjects: [{apiGroup: rbac.authorization.k8s.io, kind: User, name: $KUBE_ROUTER_USER}]
RBAC
    echo "$KUBE_ROUTER_USER" >"$state/kube-router-rbac"
    start kube-router "$bin/kube-router-$KUBE_ROUTER_VERSION" --kubeconfig "$state/kube-router.kubeconfig" \
        --hostname-override "$NODE_NAME" --run-firewall=true --run-router=false --run-service-proxy=false \
        --enable-cni=false --service-cluster-ip-range "$SERVICE_CIDR" --health-port 0 --metrics-port 0
    # Ready once its top-level chains hook the filter table's FORWARD chain.
    wait_for "kube-router's policy controller" 60 sh -c "iptables -S FORWARD | grep -q -- '-j KUBE-ROUTER-FORWARD'"
}

# kill_pidfile NAME: TERM, then KILL after 10 s, the PID saved by `start` while it runs our binary
# (socat for the API forwarder: its whole process group, the connections it forked with it).
kill_pidfile() {
    local f=$state/pids/$1 pid exe
    [ -f "$f" ] || return 0
    pid=$(cat "$f")
    exe=$(readlink "/proc/$pid/exe" 2>/dev/null || true)
    case "$exe" in "$bin"/*) ;; */socat) pid=-$pid ;; *) rm -f "$f"; return 0 ;; esac
    kill -TERM -- "$pid" 2>/dev/null || true
    for _ in $(seq 100); do kill -0 -- "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -KILL -- "$pid" 2>/dev/null || true
    rm -f "$f"
}

down_quiet() {
    [ -d "$state" ] || return 0
    local cluster_bin k
    cluster_bin=$(cat "$state/cluster-bin" 2>/dev/null || echo /nonexistent)
    k=("$cluster_bin/kubectl" --kubeconfig "$cluster_state/admin.kubeconfig" --request-timeout 5s)
    # 1. The kubelet stops the node's pods itself (their sandboxes, so their CNI teardown runs)
    #    while the API server is still there.
    if [ -f "$state/pids/kubelet" ] && "${k[@]}" get node "$NODE_NAME" >/dev/null 2>&1; then
        "${k[@]}" delete pods -A --field-selector "spec.nodeName=$NODE_NAME" --grace-period 0 --force --wait=false >/dev/null 2>&1 || true
        for _ in $(seq 60); do
            [ -z "$("$bin/ctr" --address "$state/containerd.sock" -n k8s.io tasks ls -q 2>/dev/null)" ] && break
            sleep 0.5
        done
        "${k[@]}" delete node "$NODE_NAME" --wait=false >/dev/null 2>&1 || true
    fi
    "${k[@]}" delete endpointslice -n default kubernetes-real-node --ignore-not-found --wait=false >/dev/null 2>&1 || true
    [ -f "$state/kube-router-rbac" ] && "${k[@]}" delete clusterrolebinding,clusterrole "$KUBE_ROUTER_USER" --ignore-not-found --wait=false >/dev/null 2>&1 || true
    # Its chains and ipsets go with the sweep of step 5 (its --cleanup-config would also run the
    # service proxy's and router's cleanups, which this node never started).
    kill_pidfile kube-router
    kill_pidfile api-forwarder
    kill_pidfile kubelet
    kill_pidfile kube-proxy
    [ -x "$bin/kube-proxy" ] && "$bin/kube-proxy" --cleanup >/dev/null 2>&1 || true
    # 2. Whatever still runs: every task killed and removed, then containerd stopped.
    if [ -S "$state/containerd.sock" ]; then
        local c=("$bin/ctr" --address "$state/containerd.sock" -n k8s.io) id
        for id in $("${c[@]}" tasks ls -q 2>/dev/null); do "${c[@]}" tasks kill -s SIGKILL "$id" >/dev/null 2>&1 || true; done
        for id in $("${c[@]}" tasks ls -q 2>/dev/null); do "${c[@]}" tasks delete -f "$id" >/dev/null 2>&1 || true; done
        for id in $("${c[@]}" containers ls -q 2>/dev/null); do "${c[@]}" containers delete "$id" >/dev/null 2>&1 || true; done
    fi
    kill_pidfile containerd
    local p exe
    for p in /proc/[0-9]*; do # shims outlive containerd by design
        exe=$(readlink "$p/exe" 2>/dev/null || true)
        [ "$exe" = "$bin/containerd-shim-runc-v2" ] && kill -KILL "${p#/proc/}" 2>/dev/null || true
    done
    # 3. Processes left in the node's cgroups, then the cgroups themselves (deepest first).
    local cg
    for cg in /sys/fs/cgroup/*/bmp-node; do
        [ -d "$cg" ] || continue
        find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    done
    sleep 0.2
    for cg in /sys/fs/cgroup/*/bmp-node; do
        [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    # 4. Mounts under the state folder (kubelet volumes, containerd rootfs and shm), and the pods'
    #    network namespaces that appeared since `up` (their veths go with them).
    local m
    for m in $(awk -v s="$state/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
    if [ -f "$state/netns.before" ]; then
        for m in $(ls /var/run/netns 2>/dev/null | grep '^cni-' | sort | comm -13 "$state/netns.before" -); do
            umount -l "/var/run/netns/$m" 2>/dev/null || true
            rm -f "/var/run/netns/$m"
        done
        rmdir /var/run/netns 2>/dev/null || true
    fi
    # 5. Network: the LAN (the client's namespace takes its end of the link with it) and its guard,
    #    the bridge, the Service route and its rule, iptables chains that were not there
    #    before `up` (kube-proxy's --cleanup already took its own; the kubelet's canaries remain).
    remove_network >/dev/null
    local t chain table
    for t in iptables ip6tables; do
        [ -f "$state/chains.$t" ] || continue
        for table in filter nat mangle; do
            for chain in $("$t" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\|CNI-[^ ]*\)$/\1/p' | sort | comm -13 "$state/chains.$t" -); do
                local rules
                rules=$("$t" -t "$table" -S 2>/dev/null | grep -E -- "-j $chain( |$)" | sed 's/^-A/-D/' || true)
                while read -r rule; do
                    [ -n "$rule" ] && { eval "$t -t $table $rule" 2>/dev/null || true; }
                done <<<"$rules"
                "$t" -t "$table" -F "$chain" 2>/dev/null || true
                "$t" -t "$table" -X "$chain" 2>/dev/null || true
            done
        done
    done
    # The policy controller's ipsets, once no rule refers to them.
    if [ -f "$state/ipsets.before" ]; then
        for m in $(ipset list -n 2>/dev/null | sort | comm -13 "$state/ipsets.before" -); do ipset destroy "$m" 2>/dev/null || true; done
    fi
    # 6. Host settings back as they were.
    if [ -f "$state/sysctls" ]; then
        local f v
        while read -r f v; do echo "$v" >"/proc/sys/$f" 2>/dev/null || true; done <"$state/sysctls"
    fi
    [ "$(cat "$state/root-propagation" 2>/dev/null)" = private ] && mount --make-private / 2>/dev/null || true
    # Fixed-path folders: ours removed whole, shared ones only of what is ours.
    find /var/log/containers -maxdepth 1 -type l -lname "$state/*" -delete 2>/dev/null || true
    rm -f /var/lib/cni/results/bmp-real-node-* 2>/dev/null || true
    local d
    for d in /run/containerd /var/lib/cni /var/log/containers; do
        grep -qx "$d" "$state/fixed-dirs.before" 2>/dev/null || rm -rf "$d"
    done
    leftovers >"$state/leftovers" 2>/dev/null || true
    # Last: the lock, so that the next node starts on a clean machine.
    local holder
    holder=$(cat "$state/pids/lock-holder" 2>/dev/null || true)
    [ -n "$holder" ] && [ "$(tr '\0' ' ' 2>/dev/null <"/proc/$holder/cmdline")" = "sleep 2147483647 " ] && kill "$holder" 2>/dev/null
    left=$(cat "$state/leftovers" 2>/dev/null || true)
    rm -rf "$state"
}

# What `down` checks it left nothing of: one line per leftover, none when clean.
leftovers() {
    local p exe t table
    for p in /proc/[0-9]*; do
        exe=$(readlink "$p/exe" 2>/dev/null || true)
        case "$exe" in "$bin"/*) echo "process ${p#/proc/} ($exe)" ;; esac
    done
    awk -v s="$state/" 'index($5, s) == 1 {print "mount " $5}' /proc/self/mountinfo
    ip link show "$BRIDGE" >/dev/null 2>&1 && echo "bridge $BRIDGE"
    ip link show "$LAN_LINK" >/dev/null 2>&1 && echo "link $LAN_LINK"
    ip netns list 2>/dev/null | grep -qw "^$CLIENT_NETNS" && echo "netns $CLIENT_NETNS"
    iptables -S "$GUARD_CHAIN" >/dev/null 2>&1 && echo "iptables chain $GUARD_CHAIN"
    pgrep -f "TCP-LISTEN:$API_PROXY_PORT,bind=$NODE_IP" >/dev/null && echo "process socat (the API forwarder)"
    ip -o link show type veth 2>/dev/null | grep -q "master $BRIDGE" && echo "veth on $BRIDGE"
    ip rule | grep -q "lookup $ROUTE_TABLE" && echo "rule to $SERVICE_CIDR"
    [ -n "$(ip route show table $ROUTE_TABLE 2>/dev/null)" ] && echo "routes in table $ROUTE_TABLE"
    ls /sys/fs/cgroup/*/bmp-node -d 2>/dev/null | sed 's/^/cgroup /'
    for t in iptables ip6tables; do
        for table in filter nat mangle; do
            "$t" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\|CNI-[^ ]*\)$/\1/p' | sort | comm -13 "$state/chains.$t" - | sed "s/^/$t $table chain /"
        done
    done
    ls /var/run/netns 2>/dev/null | grep '^cni-' | sort | comm -13 "$state/netns.before" - | sed 's/^/netns /'
    ipset list -n 2>/dev/null | sort | comm -13 "$state/ipsets.before" - | sed 's/^/ipset /'
    for f in $SYSCTLS; do
        [ "$(cat "/proc/sys/$f")" = "$(sed -n "s#^$f ##p" "$state/sysctls")" ] || echo "sysctl $f"
    done
    return 0
}

down() {
    [ -d "$state" ] || { log "no real node is up (no $state)"; return 0; }
    local left=""
    down_quiet
    if [ -n "$left" ]; then
        log "down: left behind: $(echo "$left" | paste -sd ';' -)"
        return 1
    fi
    log "down: checked: no process, mount, netns, veth, bridge, LAN link, client netns, guard, rule, route, iptables chain, ipset, cgroup or sysctl of the node left; $state deleted"
}

case "${1:-}" in
build) build ;;
build-beside) build_beside ;; # with-cluster.sh: the part built beside cluster.sh build
up) up ;;
down) down ;;
go-build) shift; go_build "$@" ;; # for node/images.sh
*) echo "usage: node.sh build|up|down" >&2; exit 2 ;;
esac
