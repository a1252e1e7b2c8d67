# shellcheck shell=bash disable=SC2154
# Sourced by cluster.sh and node.sh: what both do to build and run their daemons. Each script
# defines `state` (its state folder, with logs/ and pids/), `log` and `die` before calling these, and
# for the builds `cache` (the build cache), `bin` (where binaries go), K8S_VERSION, STAGING_VERSION
# and `go_nice` (`nice` to yield to the other script's build beside it, or empty).

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

# build_kubernetes NAME BINARY…: k8s.io/kubernetes's commands BINARY… into $bin, unless all are
# there. One wrapper module (bmp.local/NAME, in $cache/src/NAME-$K8S_VERSION) per script:
# k8s.io/kubernetes requires its staging modules at v0.0.0 with replace directives that only apply
# inside its own repo, so the wrapper replaces each of them with the published release of the same
# minor version ($STAGING_VERSION).
build_kubernetes() {
    local name=$1
    shift
    local want=("$@") missing=0 b
    for b in "${want[@]}"; do [ -x "$bin/$b" ] || missing=1; done
    [ $missing = 0 ] && return 0
    local mod=$cache/src/$name-$K8S_VERSION
    mkdir -p "$mod" "$bin"
    (
        cd "$mod" || exit 1
        local gomod
        gomod=$(go mod download -json "k8s.io/kubernetes@$K8S_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
        {
            echo "module bmp.local/$name"
            echo "go 1.25.0"
            echo "require k8s.io/kubernetes $K8S_VERSION"
            sed -n 's#^[[:space:]]*\(k8s.io/[a-z0-9-]*\) => ./staging/src/.*#replace \1 => \1 '"$STAGING_VERSION"'#p' "$gomod"
        } >go.mod
        {
            printf '//go:build tools\n\npackage tools\n\nimport (\n'
            for b in "${want[@]}"; do printf '\t_ "k8s.io/kubernetes/cmd/%s"\n' "$b"; done
            printf ')\n'
        } >tools.go
        GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
        local v=k8s.io/component-base/version cv=k8s.io/client-go/pkg/version minor=${K8S_VERSION#v1.}
        minor=${minor%%.*}
        local ldflags="-s -w -X $v.gitVersion=$K8S_VERSION -X $v.gitMajor=1 -X $v.gitMinor=$minor -X $v.gitTreeState=clean -X $cv.gitVersion=$K8S_VERSION -X $cv.gitMajor=1 -X $cv.gitMinor=$minor"
        for b in "${want[@]}"; do
            [ -x "$bin/$b" ] && continue
            log "building $b $K8S_VERSION (minutes on a cold cache)"
            GOFLAGS=-mod=mod CGO_ENABLED=0 $go_nice go build -trimpath -ldflags "$ldflags" -o "$bin/$b.tmp" "k8s.io/kubernetes/cmd/$b"
            mv "$bin/$b.tmp" "$bin/$b"
        done
    )
}

# go_build NAME MODULE@VERSION PACKAGE [TAGS] [LDFLAGS]: a wrapper module requiring MODULE@VERSION
# builds PACKAGE (static) into OUT=$bin/NAME unless OUT is set, unless it is there. The wrapper
# ($cache/src/<MODULE's last element>-VERSION) is shared by the packages of one module; with MAIN_GO
# set, that text is the wrapper's own main package, built as PACKAGE `.` (etcd's server module has
# no main package to build).
go_build() {
    local name=$1 require=$2 package=$3 tags=${4:-} ldflags=${5:-} out=${OUT:-$bin/$1}
    [ -x "$out" ] && return 0
    local mod=$cache/src/${require%@*}
    mod=$cache/src/$(basename "${mod%/v[0-9]}")-${require##*@}
    mkdir -p "$mod" "$(dirname "$out")"
    (
        cd "$mod" || exit 1
        [ -f go.mod ] || printf 'module bmp.local/%s\n\ngo 1.25.0\n' "$(basename "$mod")" >go.mod
        if [ -n "${MAIN_GO:-}" ]; then
            printf '%s' "$MAIN_GO" >main.go
        else
            grep -q "\"$package\"" tools.go 2>/dev/null || {
                [ -f tools.go ] || printf '//go:build tools\n\npackage tools\n' >tools.go
                printf 'import _ "%s"\n' "$package" >>tools.go
            }
        fi
        go get "$require" >/dev/null 2>go-get.log || { cat go-get.log >&2; exit 1; }
        GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
        log "building $name ${require##*@}"
        GOFLAGS=-mod=mod CGO_ENABLED=0 $go_nice go build -trimpath -tags "$tags" -ldflags "-s -w $ldflags" -o "$out.tmp" "$package"
        mv "$out.tmp" "$out"
    )
}
