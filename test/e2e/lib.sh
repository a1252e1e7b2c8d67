# Sourced by cluster.sh and node.sh: what both do to run their daemons. Each script defines `state`
# (its state folder, with logs/ and pids/) and `die` before calling these.

# start NAME BINARY ARGS…: in its own session, output to $state/logs/NAME.log, PID saved. fd 9 (the
# real node's lock) is not inherited, so a daemon never holds the lock.
start() {
    local name=$1
    shift
    setsid "$@" >"$state/logs/$name.log" 2>&1 </dev/null 9>&- &
    echo $! >"$state/pids/$name"
}

# wait_for WHAT SECONDS COMMAND…: until COMMAND succeeds, polled every 0.2 s, or die.
wait_for() {
    local what=$1 secs=$2 i
    shift 2
    for ((i = 0; i < secs * 5; i++)); do
        "$@" >/dev/null 2>&1 && return 0
        sleep 0.2
    done
    die "$what did not come up in ${secs}s; logs in $state/logs"
}

# client_kubeconfig OUT CA SERVER NAME CN [ORG]: a key and a certificate for user CN (in group ORG)
# signed by the CA in folder CA (ca.crt, ca.key), in OUT/pki, and OUT/NAME.kubeconfig using them
# against the API server at SERVER.
client_kubeconfig() {
    local out=$1 ca=$2 server=$3 name=$4 cn=$5 org=${6:-} subj
    subj="/CN=$cn"
    [ -n "$org" ] && subj="/O=$org/CN=$cn"
    mkdir -p "$out/pki"
    openssl req -new -newkey rsa:2048 -nodes -keyout "$out/pki/$name.key" -subj "$subj" -out "$out/pki/$name.csr" 2>/dev/null
    openssl x509 -req -in "$out/pki/$name.csr" -CA "$ca/ca.crt" -CAkey "$ca/ca.key" \
        -CAcreateserial -CAserial "$out/pki/ca.srl" -days 2 -out "$out/pki/$name.crt" 2>/dev/null
    cat >"$out/$name.kubeconfig" <<KC
apiVersion: v1
kind: Config
clusters:
- name: local
  cluster: {server: "$server", certificate-authority: "$ca/ca.crt"}
users:
- name: $name
  user: {client-certificate: "$out/pki/$name.crt", client-key: "$out/pki/$name.key"}
contexts:
- name: local
  context: {cluster: local, user: $name}
current-context: local
KC
}
