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
# Built beside the control plane's build (with-cluster.sh), the node's builds yield to it.
go_nice="nice"
# shellcheck source=test/e2e/lib.sh
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

# The builds, the network and `down`, each in a file of its own beside this one.
# shellcheck source=test/e2e/node-build.sh
. "$here/node-build.sh"
# shellcheck source=test/e2e/node-network.sh
. "$here/node-network.sh"
# shellcheck source=test/e2e/node-down.sh
. "$here/node-down.sh"

# --- up ------------------------------------------------------------------------------------------

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
    # shellcheck disable=SC2012 # network namespace names are plain names
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
    # shellcheck disable=SC2154 # rc is assigned by the trap itself
    trap 'rc=$?; [ $rc = 0 ] || down_quiet; exit $rc' EXIT
    trap 'exit 1' INT TERM
    snapshot_host
    # shellcheck disable=SC2016 # the env file's literal $PATH
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

case "${1:-}" in
build) build ;;
build-beside) build_beside ;; # with-cluster.sh: the part built beside cluster.sh build
up) up ;;
down) down ;;
go-build) shift; go_build "$@" ;; # for node/images.sh
*) echo "usage: node.sh build|up|down" >&2; exit 2 ;;
esac
