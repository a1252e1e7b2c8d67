# shellcheck shell=bash disable=SC2154 # the settings and folders are node.sh's
# Sourced by node.sh: the real node's network: its fixed-name objects (the LAN to the client host,
# the guard, the bridge, the Service route), the API server's address for pods and the
# NetworkPolicy enforcer.

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
        while ip rule del lookup "$ROUTE_TABLE" 2>/dev/null; do :; done
        echo "rule to $SERVICE_CIDR"
    fi
    if [ -n "$(ip route show table "$ROUTE_TABLE" 2>/dev/null)" ]; then ip route flush table "$ROUTE_TABLE" 2>/dev/null || true; echo "routes in table $ROUTE_TABLE"; fi
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
