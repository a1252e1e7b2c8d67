#!/usr/bin/env bash
# `images.sh DIR`: the real node's stand-in images, each an OCI image archive in DIR that
# `ctr images import` loads under the exact name the program pins. Same name and command-line
# contract as upstream, not upstream's bytes (see the README's end-to-end section):
#
#   docker.io/nginxinc/nginx-unprivileged:1.26.3-alpine  Debian's nginx, uid 101, pid and temp files in /tmp
#   docker.io/library/busybox:1.37.0                     Debian's busybox-static
#   quay.io/prometheus/node-exporter:v1.9.1              github.com/prometheus/node_exporter at that tag
#   quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z     versitygw (POSIX backend) behind node/minio
#   registry.k8s.io/pause:3.10.1                         the pod sandbox: busybox's sleep
#
# and the cluster's real network controllers, built from their upstream source at the tag the image
# name carries (the module's own go.mod and go.sum, so its pinned dependencies and replace lines apply):
#
#   quay.io/metallb/controller:v0.15.2                   go.universe.tf/metallb v0.15.2, controller/
#   quay.io/metallb/speaker:v0.15.2                      go.universe.tf/metallb v0.15.2, speaker/
#   registry.k8s.io/coredns/coredns:v1.15.0              github.com/coredns/coredns v1.15.0
#   docker.io/rancher/mirrored-library-traefik:3.6.13    github.com/traefik/traefik/v3 v3.6.13 (k3s's image name)
#
# Debian packages are fetched with `apt-get download` and unpacked, never installed; Go programs
# come from the Go module proxy. An archive is rebuilt only when its inputs' key changes.
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${BMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bare-metal-platform}
NODE_EXPORTER_VERSION=v1.9.1
VERSITYGW_VERSION=v1.8.0
METALLB_VERSION=v0.15.2
COREDNS_VERSION=v1.15.0
TRAEFIK_VERSION=v3.6.13
work=$(mktemp -d "${TMPDIR:-/tmp}/bmp-images-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

log() { printf 'images: %s\n' "$*" >&2; }

# Key of this script and the MinIO shim: a change rebuilds every archive.
key=$(cat "$0" "$here/minio/go.mod" "$here/minio/main.go" | sha256sum | cut -c1-12)

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# oci_image NAME ROOTFS CONFIG_JSON: writes $out/<file>.tar, an OCI layout with one layer.
oci_image() {
    local name=$1 rootfs=$2 config=$3 dir=$work/oci-$RANDOM
    mkdir -p "$dir/blobs/sha256"
    tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
    local diff_id layer
    diff_id=$(sha "$dir/layer.tar")
    gzip -n -1 "$dir/layer.tar"
    layer=$(sha "$dir/layer.tar.gz")
    mv "$dir/layer.tar.gz" "$dir/blobs/sha256/$layer"
    printf '{"architecture":"amd64","os":"linux","config":%s,"rootfs":{"type":"layers","diff_ids":["sha256:%s"]}}' "$config" "$diff_id" >"$dir/config.json"
    local cfg
    cfg=$(sha "$dir/config.json")
    printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"sha256:%s","size":%s}]}' \
        "$cfg" "$(size "$dir/config.json")" "$layer" "$(size "$dir/blobs/sha256/$layer")" >"$dir/manifest.json"
    mv "$dir/config.json" "$dir/blobs/sha256/$cfg"
    local manifest
    manifest=$(sha "$dir/manifest.json")
    printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"sha256:%s","size":%s,"annotations":{"io.containerd.image.name":"%s","org.opencontainers.image.ref.name":"%s"}}]}' \
        "$manifest" "$(size "$dir/manifest.json")" "$name" "${name##*:}" >"$dir/index.json"
    mv "$dir/manifest.json" "$dir/blobs/sha256/$manifest"
    echo '{"imageLayoutVersion":"1.0.0"}' >"$dir/oci-layout"
    tar -C "$dir" -cf "$(archive "$name").tmp" oci-layout index.json blobs
    mv "$(archive "$name").tmp" "$(archive "$name")"
    rm -rf "$dir"
}

archive() { echo "$out/$(echo "$1" | tr '/:' '__')-$key.tar"; }

# deb PACKAGE: the package's files unpacked into $work/deb-PACKAGE (downloaded, not installed).
deb() {
    local p=$1
    [ -d "$work/deb-$p" ] && return 0
    (cd "$work" && apt-get download "$p" >/dev/null 2>&1) || {
        apt-get update -qq >/dev/null && (cd "$work" && apt-get download "$p" >/dev/null)
    }
    dpkg-deb -x "$work/${p}_"*.deb "$work/deb-$p"
}

# A rootfs with busybox-static as /bin/busybox and its applets as links (sh, false, sleep, cp, …).
busybox_rootfs() {
    local root=$1 applet
    deb busybox-static
    mkdir -p "$root/bin" "$root/etc" "$root/tmp"
    cp "$work/deb-busybox-static/bin/busybox" "$root/bin/busybox"
    for applet in $("$root/bin/busybox" --list); do [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"; done
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/nonexistent:/bin/false\n' >"$root/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$root/etc/group"
}

# go_binary NAME MODULE@VERSION PACKAGE: built with node.sh's wrapper-module helper.
go_binary() { # NAME MODULE@VERSION PACKAGE [TAGS] [LDFLAGS]
    local out=$cache/bin/images/$1-${2##*@}-$(echo "${5:-}" | sha256sum | cut -c1-8)
    OUT=$out bash "$here/../node.sh" go-build "$@" >&2
    echo "$out"
}

# module_binary NAME MODULE@VERSION PACKAGE_DIR [LDFLAGS]: PACKAGE_DIR of the module built from a
# copy of the module itself, so that its go.mod (versions, replace lines) and go.sum decide the
# dependencies — the upstream build, not a re-resolved one. Cached by name, version and flags.
module_binary() {
    local name=$1 module=${2%@*} version=${2##*@} dir=$3 ldflags=${4:-}
    local out=$cache/bin/images/$name-$version-$(echo "$ldflags" | sha256sum | cut -c1-8)
    if [ ! -x "$out" ]; then
        local src=$cache/src/module-$name-$version from
        from=$(cd "$work" && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
        [ -n "$from" ] || { log "go mod download $module@$version failed"; return 1; }
        rm -rf "$src" && cp -r "$from" "$src" && chmod -R u+w "$src"
        log "building $name $version from $module (minutes on a cold cache)"
        (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp" "./$dir" >&2)
        mv "$out.tmp" "$out"
        rm -rf "$src"
    fi
    echo "$out"
}

# busybox_rootfs (a shell and a passwd, as a debug image has) with BINARY at PATH.
static_rootfs() { # ROOT BINARY PATH
    local root=$1
    busybox_rootfs "$root"
    mkdir -p "$root$(dirname "$3")"
    cp "$2" "$root$3"
}

image_metallb_controller() {
    local b
    b=$(module_binary metallb-controller "go.universe.tf/metallb@$METALLB_VERSION" controller)
    static_rootfs "$work/metallb-controller" "$b" /controller
    oci_image "$1" "$work/metallb-controller" '{"Entrypoint":["/controller"],"User":"65534"}'
}

image_metallb_speaker() {
    local b
    b=$(module_binary metallb-speaker "go.universe.tf/metallb@$METALLB_VERSION" speaker)
    static_rootfs "$work/metallb-speaker" "$b" /speaker
    oci_image "$1" "$work/metallb-speaker" '{"Entrypoint":["/speaker"]}'
}

image_coredns() {
    local b
    b=$(module_binary coredns "github.com/coredns/coredns@$COREDNS_VERSION" . "-X github.com/coredns/coredns/coremain.GitCommit=${COREDNS_VERSION}")
    static_rootfs "$work/coredns" "$b" /coredns
    oci_image "$1" "$work/coredns" '{"Entrypoint":["/coredns"],"User":"65532","ExposedPorts":{"53/tcp":{},"53/udp":{}}}'
}

image_traefik() {
    local b
    b=$(module_binary traefik "github.com/traefik/traefik/v3@$TRAEFIK_VERSION" cmd/traefik "-X github.com/traefik/traefik/v3/pkg/version.Version=${TRAEFIK_VERSION#v}")
    static_rootfs "$work/traefik" "$b" /usr/local/bin/traefik
    oci_image "$1" "$work/traefik" '{"Entrypoint":["/usr/local/bin/traefik"],"User":"65532","ExposedPorts":{"80/tcp":{}}}'
}

image_busybox() {
    local root=$work/busybox
    busybox_rootfs "$root"
    oci_image "$1" "$root" '{"Cmd":["sh"],"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"]}'
}

image_pause() {
    local root=$work/pause
    busybox_rootfs "$root"
    oci_image "$1" "$root" '{"Entrypoint":["/bin/sleep","2147483647"],"User":"65535:65535"}'
}

# nginx from Debian with its shared libraries, configured as nginx-unprivileged is: uid 101, the
# pid file and temp paths in /tmp, logs to stdout/stderr, servers from /etc/nginx/conf.d.
image_nginx() {
    local root=$work/nginx lib
    busybox_rootfs "$root"
    deb nginx
    deb nginx-common
    mkdir -p "$root/usr/sbin" "$root/etc/nginx/conf.d" "$root/var/log/nginx" "$root/usr/share/nginx/html" "$root/var/lib/nginx"
    cp "$work/deb-nginx/usr/sbin/nginx" "$root/usr/sbin/nginx"
    cp "$work/deb-nginx-common/etc/nginx/mime.types" "$root/etc/nginx/mime.types"
    # Its libraries are the host's own Debian ones (the same release nginx was built for).
    for lib in $(ldd "$work/deb-nginx/usr/sbin/nginx" | grep -o '/[^ ]*'); do
        mkdir -p "$root$(dirname "$lib")"
        cp -L "$lib" "$root$lib"
    done
    ln -s /dev/stdout "$root/var/log/nginx/access.log"
    ln -s /dev/stderr "$root/var/log/nginx/error.log"
    echo 'nginx:x:101:101:nginx:/nonexistent:/bin/false' >>"$root/etc/passwd"
    echo 'nginx:x:101:' >>"$root/etc/group"
    cat >"$root/etc/nginx/nginx.conf" <<'CONF'
worker_processes auto;
error_log /dev/stderr notice;
pid /tmp/nginx.pid;
events { worker_connections 1024; }
http {
    proxy_temp_path /tmp/proxy_temp;
    client_body_temp_path /tmp/client_temp;
    fastcgi_temp_path /tmp/fastcgi_temp;
    uwsgi_temp_path /tmp/uwsgi_temp;
    scgi_temp_path /tmp/scgi_temp;
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log /dev/stdout;
    sendfile on;
    keepalive_timeout 65;
    include /etc/nginx/conf.d/*.conf;
}
CONF
    printf 'server {\n    listen 8080;\n    root /usr/share/nginx/html;\n}\n' >"$root/etc/nginx/conf.d/default.conf"
    echo '<p>nginx (Debian) stand-in</p>' >"$root/usr/share/nginx/html/index.html"
    oci_image "$1" "$root" '{"Cmd":["nginx","-g","daemon off;"],"User":"101","ExposedPorts":{"8080/tcp":{}},"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"StopSignal":"SIGQUIT"}'
}

image_node_exporter() {
    local root=$work/node-exporter b
    b=$(go_binary node_exporter "github.com/prometheus/node_exporter@$NODE_EXPORTER_VERSION" github.com/prometheus/node_exporter "" \
        "-X github.com/prometheus/common/version.Version=${NODE_EXPORTER_VERSION#v} -X github.com/prometheus/common/version.Branch=HEAD")
    busybox_rootfs "$root"
    cp "$b" "$root/bin/node_exporter"
    oci_image "$1" "$root" '{"Entrypoint":["/bin/node_exporter"],"User":"nobody","ExposedPorts":{"9100/tcp":{}}}'
}

image_minio() {
    local root=$work/minio gw shim
    gw=$(go_binary versitygw "github.com/versity/versitygw@$VERSITYGW_VERSION" github.com/versity/versitygw/cmd/versitygw)
    shim=$cache/bin/images/minio-standin-$key
    [ -x "$shim" ] || (cd "$here/minio" && CGO_ENABLED=0 go build -trimpath -ldflags "-s -w" -o "$shim" .)
    busybox_rootfs "$root"
    mkdir -p "$root/usr/bin" "$root/data"
    cp "$gw" "$root/usr/bin/versitygw"
    cp "$shim" "$root/usr/bin/minio"
    oci_image "$1" "$root" '{"Entrypoint":["/usr/bin/minio"],"Cmd":["server","/data"],"User":"1000","ExposedPorts":{"9000/tcp":{}},"Env":["PATH=/usr/bin:/bin"]}'
}

build_one() { # FUNCTION NAME
    [ -f "$(archive "$2")" ] && return 0
    log "building $2"
    "$1" "$2"
}

mkdir -p "$cache/bin/images"
build_one image_pause registry.k8s.io/pause:3.10.1
build_one image_busybox docker.io/library/busybox:1.37.0
build_one image_nginx docker.io/nginxinc/nginx-unprivileged:1.26.3-alpine
build_one image_node_exporter "quay.io/prometheus/node-exporter:$NODE_EXPORTER_VERSION"
build_one image_minio quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z
build_one image_metallb_controller "quay.io/metallb/controller:$METALLB_VERSION"
build_one image_metallb_speaker "quay.io/metallb/speaker:$METALLB_VERSION"
build_one image_coredns "registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
build_one image_traefik "docker.io/rancher/mirrored-library-traefik:${TRAEFIK_VERSION#v}"
# Only this key's archives are listed for import; older keys' are removed.
ls "$out"/*-"$key".tar >"$out/current"
find "$out" -maxdepth 1 -name '*.tar' ! -name "*-$key.tar" -delete
