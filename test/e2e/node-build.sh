# shellcheck shell=bash disable=SC2154 # the settings and folders are node.sh's
# Sourced by node.sh: the real node's builds (containerd, kube-router, kubelet and kube-proxy, the
# images of node/images.sh) into the cache outside the repo, and the Debian packages it needs.

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
    build_kubernetes kubernetes-node kubelet kube-proxy
}
