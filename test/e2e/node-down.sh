# shellcheck shell=bash disable=SC2154 # the settings and folders are node.sh's
# Sourced by node.sh: `down`: stops every process the node started and removes what it made, then
# checks that nothing is left.

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
        # shellcheck disable=SC2038 # cgroup.procs holds process ids
        find "$cg" -name cgroup.procs -exec cat {} + 2>/dev/null | xargs -r kill -KILL 2>/dev/null || true
    done
    sleep 0.2
    for cg in /sys/fs/cgroup/*/bmp-node; do
        [ -d "$cg" ] && find "$cg" -depth -type d -exec rmdir {} + 2>/dev/null || true
    done
    # 4. Mounts under the state folder (kubelet volumes, containerd rootfs and shm), and the pods'
    #    network namespaces that appeared since `up` (their veths go with them).
    local m
    # shellcheck disable=SC2013 # mount points under the state folder have no spaces
    for m in $(awk -v s="$state/" 'index($5, s) == 1 {print $5}' /proc/self/mountinfo | sort -r); do umount -l "$m" 2>/dev/null || true; done
    if [ -f "$state/netns.before" ]; then
        # shellcheck disable=SC2010 # network namespace names are plain names
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
    [ -n "$(ip route show table "$ROUTE_TABLE" 2>/dev/null)" ] && echo "routes in table $ROUTE_TABLE"
    # shellcheck disable=SC2012 # cgroup paths are plain names
    ls /sys/fs/cgroup/*/bmp-node -d 2>/dev/null | sed 's/^/cgroup /'
    for t in iptables ip6tables; do
        for table in filter nat mangle; do
            "$t" -t "$table" -S 2>/dev/null | sed -n 's/^-N \(KUBE-[^ ]*\|CNI-[^ ]*\)$/\1/p' | sort | comm -13 "$state/chains.$t" - | sed "s/^/$t $table chain /"
        done
    done
    # shellcheck disable=SC2010 # network namespace names are plain names
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
