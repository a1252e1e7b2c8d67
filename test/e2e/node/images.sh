#!/usr/bin/env bash
# `images.sh DIR`: the real node's images, each an OCI image archive in DIR that `ctr images import`
# loads under the exact name the program pins. Stand-ins where upstream's build is out of reach (same
# name and command-line contract as upstream, not upstream's bytes; see the README's end-to-end section):
#
#   docker.io/nginxinc/nginx-unprivileged:1.26.3-alpine  Debian's nginx, uid 101, pid and temp files in /tmp
#   docker.io/library/busybox:1.37.0                     Debian's busybox-static
#   quay.io/prometheus/node-exporter:v1.9.1              github.com/prometheus/node_exporter at that tag
#   registry.k8s.io/pause:3.10.1                         the pod sandbox: busybox's sleep
#
# and the real software, built from its upstream source at the tag the image name carries (the module's
# own go.mod and go.sum, so its pinned dependencies and replace lines apply):
#
#   quay.io/metallb/controller:v0.15.2                   go.universe.tf/metallb v0.15.2, controller/
#   quay.io/metallb/speaker:v0.15.2                      go.universe.tf/metallb v0.15.2, speaker/
#   registry.k8s.io/coredns/coredns:v1.15.0              github.com/coredns/coredns v1.15.0
#   docker.io/rancher/mirrored-library-traefik:3.6.13    github.com/traefik/traefik/v3 v3.6.13 (k3s's image name)
#
# and, from the source tarballs a SOURCES.md table lists (../sources.sh finds and checks them):
#
#   registry.k8s.io/ingress-nginx/controller:v1.15.1     ingress-nginx-controller-v1.15.1.tar.gz: the controller
#                                                        (cmd/nginx, dbg, wait-shutdown) over nginx 1.27.1 +
#                                                        ingress-nginx's patches, LuaJIT and Lua libraries built
#                                                        as its images/nginx/rootfs/build.sh does, on Debian's
#                                                        libraries (node/ingress-nginx.sh says what and why)
#   registry.k8s.io/ingress-nginx/kube-webhook-certgen:v1.6.9
#                                                        kube-webhook-certgen-v1.6.9.tar.gz (the chart's
#                                                        admission-webhook certificate job), static, uid 65532
#   quay.io/minio/minio:RELEASE.2025-09-07T16-13-09Z     minio-RELEASE.2025-09-07T16-13-09Z.tar.gz with MinIO's
#                                                        release ldflags, laid out as its Dockerfile.release
#                                                        (docker-entrypoint.sh, CA bundle, /licenses; no mc, no curl)
#
# Debian packages are fetched with `apt-get download` and unpacked, never installed (the ingress-nginx
# build installs its compilers and -dev packages on the host); Go programs come from the Go module proxy.
# Each binary is cached by its inputs; an archive is rebuilt only when its inputs' key changes.
set -euo pipefail

out=$1
here=$(cd "$(dirname "$0")" && pwd)
cache=${BMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bare-metal-platform}
NODE_EXPORTER_VERSION=v1.9.1
METALLB_VERSION=v0.15.2
COREDNS_VERSION=v1.15.0
TRAEFIK_VERSION=v3.6.13
MINIO_RELEASE=RELEASE.2025-09-07T16-13-09Z
MINIO_COMMIT=07c3a429bfed433e49018cb0f78a52145d4bedeb
CERTGEN_VERSION=v1.6.9
# shellcheck source=SCRIPTDIR/../sources.sh
. "$here/../sources.sh"
# shellcheck source=SCRIPTDIR/ingress-nginx.sh
. "$here/ingress-nginx.sh"
work=$(mktemp -d "${TMPDIR:-/tmp}/bmp-images-XXXXXX")
trap 'rm -rf "$work"' EXIT
mkdir -p "$out"

log() { printf 'images: %s\n' "$*" >&2; }

# Key of this script, node/ingress-nginx.sh and the pinned sha256 of each source tarball: a change
# rebuilds every archive (from the cached binaries where theirs did not change).
key=$({
    cat "$0" "$here/ingress-nginx.sh"
    if sources_table >/dev/null; then
        ingress_nginx_native_sums
        for f in "kube-webhook-certgen-$CERTGEN_VERSION.tar.gz" "minio-$MINIO_RELEASE.tar.gz"; do sources_field "$f" 7; done
    fi
} | sha256sum | cut -c1-12)

sha() { sha256sum "$1" | cut -d' ' -f1; }
size() { stat -c %s "$1"; }

# oci_image NAME ROOTFS CONFIG_JSON [owned]: writes $out/<file>.tar, an OCI layout with one layer. Its
# files are root's, or with `owned` keep their owners in ROOTFS and their file capabilities (a pax
# layer with security.capability xattrs, which containerd applies).
oci_image() {
    local name=$1 rootfs=$2 config=$3 dir=$work/oci-$RANDOM
    mkdir -p "$dir/blobs/sha256"
    if [ "${4:-}" = owned ]; then
        tar --sort=name --numeric-owner --mtime=@0 --format=posix --pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime \
            --xattrs --xattrs-include=security.capability -C "$rootfs" -cf "$dir/layer.tar" .
    else
        tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$dir/layer.tar" .
    fi
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
    local out
    out=$cache/bin/images/$1-${2##*@}-$(echo "${5:-}" | sha256sum | cut -c1-8)
    OUT=$out bash "$here/../node.sh" go-build "$@" >&2
    echo "$out"
}

# module_binary NAME MODULE@VERSION PACKAGE_DIR [LDFLAGS]: PACKAGE_DIR of the module built from a
# copy of the module itself, so that its go.mod (versions, replace lines) and go.sum decide the
# dependencies — the upstream build, not a re-resolved one. Cached by name, version and flags.
module_binary() {
    local name=$1 module=${2%@*} version=${2##*@} dir=$3 ldflags=${4:-}
    local out
    out=$cache/bin/images/$name-$version-$(echo "$ldflags" | sha256sum | cut -c1-8)
    if [ ! -x "$out" ]; then
        # The copy and the output are this run's own: another run may build the same binary meanwhile.
        local src=$work/module-$name-$version from
        from=$(cd "$work" && go mod download -json "$module@$version" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
        [ -n "$from" ] || { log "go mod download $module@$version failed"; return 1; }
        rm -rf "$src" && cp -r "$from" "$src" && chmod -R u+w "$src"
        log "building $name $version from $module (minutes on a cold cache)"
        (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -ldflags "-s -w $ldflags" -o "$out.tmp.$$" "./$dir" >&2)
        mv "$out.tmp.$$" "$out"
        rm -rf "$src"
    fi
    echo "$out"
}

# tarball_binary NAME TARBALL PACKAGE_DIR [LDFLAGS] [TAGS]: PACKAGE_DIR of the Go module a source
# tarball (sources.sh) holds at its top, built with that module's own go.mod and go.sum, as
# module_binary builds a module of the proxy. Cached by name, the tarball's pinned sha256 and flags.
tarball_binary() {
    local name=$1 file=$2 dir=$3 ldflags=${4:-} tags=${5:-} sum out src
    sum=$(sources_field "$file" 7)
    out=$cache/bin/images/$name-${sum:0:12}-$(echo "$ldflags $tags" | sha256sum | cut -c1-8)
    if [ ! -x "$out" ]; then
        src=$work/src-$name
        mkdir -p "$src"
        tar -xzf "$(source_tarball "$file")" -C "$src" --strip-components=1 || return 1
        log "building $name from $file (minutes on a cold cache)"
        if ! (cd "$src" && GOFLAGS=-mod=mod CGO_ENABLED=0 nice go build -trimpath -buildvcs=false -tags "$tags" -ldflags "-s -w $ldflags" -o "$out.tmp.$$" "./$dir" >&2); then
            log "building $name failed"
            return 1
        fi
        mv "$out.tmp.$$" "$out"
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

# MinIO from its source tarball with the ldflags of its release build (buildscripts/gen-ldflags.go with
# MINIO_RELEASE=RELEASE, `go build -tags kqueue -trimpath`), laid out as Dockerfile.release lays out its
# image: docker-entrypoint.sh (prepends `minio` to arguments that are not it) and the release's env. The
# image has no USER, as upstream's (the pod's runAsUser decides). Outside its drives MinIO writes only
# the certs directory, ~/.minio/certs/CAs unless --certs-dir: created at start, and a read-only or
# not-owned home is accepted (mkdirAllIgnorePerm ignores EACCES and EROFS).
image_minio() {
    local root=$work/minio b ldflags src=$work/minio-src tag=${MINIO_RELEASE#RELEASE.} time version
    # The release's time, as the Makefile's hotfix-vars makes it of the tag (2025-09-07T16:13:09Z).
    time=${tag#*T}
    version=${tag%%T*}T${time//-/:}
    ldflags="-X github.com/minio/minio/cmd.Version=$version -X github.com/minio/minio/cmd.CopyrightYear=${version:0:4}"
    ldflags+=" -X github.com/minio/minio/cmd.ReleaseTag=$MINIO_RELEASE -X github.com/minio/minio/cmd.CommitID=$MINIO_COMMIT"
    ldflags+=" -X github.com/minio/minio/cmd.ShortCommitID=${MINIO_COMMIT:0:12} -X github.com/minio/minio/cmd.GOPATH= -X github.com/minio/minio/cmd.GOROOT="
    b=$(tarball_binary minio "minio-$MINIO_RELEASE.tar.gz" . "$ldflags" kqueue)
    busybox_rootfs "$root"
    mkdir -p "$src" "$root/usr/bin" "$root/data" "$root/licenses" "$root/etc/ssl/certs"
    tar -xzf "$(source_tarball "minio-$MINIO_RELEASE.tar.gz")" -C "$src" --strip-components=1 \
        "minio-$MINIO_RELEASE/dockerscripts/docker-entrypoint.sh" "minio-$MINIO_RELEASE/LICENSE" "minio-$MINIO_RELEASE/CREDITS"
    cp "$b" "$root/usr/bin/minio"
    install -m 0755 "$src/dockerscripts/docker-entrypoint.sh" "$root/usr/bin/docker-entrypoint.sh"
    cp "$src/LICENSE" "$src/CREDITS" "$root/licenses/"
    deb ca-certificates
    cat "$work/deb-ca-certificates/usr/share/ca-certificates/mozilla/"*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
    oci_image "$1" "$root" '{"Entrypoint":["/usr/bin/docker-entrypoint.sh"],"Cmd":["minio"],"ExposedPorts":{"9000/tcp":{}},"Volumes":{"/data":{}},"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin","MINIO_ACCESS_KEY_FILE=access_key","MINIO_SECRET_KEY_FILE=secret_key","MINIO_ROOT_USER_FILE=access_key","MINIO_ROOT_PASSWORD_FILE=secret_key","MINIO_KMS_SECRET_KEY_FILE=kms_master_key","MINIO_UPDATE_MINISIGN_PUBKEY=RWTx5Zr1tiHQLwG9keckT0c45M3AGeHD6IvimQHpyRywVWGbP1aVSGav","MINIO_CONFIG_ENV_FILE=config.env","MC_CONFIG_DIR=/tmp/.mc"]}'
}

# kube-webhook-certgen as its Dockerfile builds it (CGO_ENABLED=0, no version ldflags), on a static rootfs
# with distroless's nonroot user (its base image) as the user.
image_certgen() {
    local root=$work/certgen b
    b=$(tarball_binary kube-webhook-certgen "kube-webhook-certgen-$CERTGEN_VERSION.tar.gz" .)
    static_rootfs "$root" "$b" /kube-webhook-certgen
    echo 'nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin' >>"$root/etc/passwd"
    echo 'nonroot:x:65532:' >>"$root/etc/group"
    oci_image "$1" "$root" '{"Entrypoint":["/kube-webhook-certgen"],"User":"65532:65532","WorkingDir":"/"}'
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
build_one image_minio "quay.io/minio/minio:$MINIO_RELEASE"
build_one image_certgen "registry.k8s.io/ingress-nginx/kube-webhook-certgen:$CERTGEN_VERSION"
build_one image_ingress_nginx "registry.k8s.io/ingress-nginx/controller:$INGRESS_NGINX_VERSION"
build_one image_metallb_controller "quay.io/metallb/controller:$METALLB_VERSION"
build_one image_metallb_speaker "quay.io/metallb/speaker:$METALLB_VERSION"
build_one image_coredns "registry.k8s.io/coredns/coredns:$COREDNS_VERSION"
build_one image_traefik "docker.io/rancher/mirrored-library-traefik:${TRAEFIK_VERSION#v}"
# Only this key's archives are listed for import; older keys' are removed.
ls "$out"/*-"$key".tar >"$out/current"
# ingress-nginx's chart pins its two images by tag and digest (charts/ingress-nginx/values.yaml); an
# image built here has a digest of its own, so node.sh also names it by the chart's, the reference the
# kubelet resolves: "NAME ALIAS" lines, the digests read from the chart in the controller's source.
values=$(tar -xzOf "$(source_tarball "$INGRESS_NGINX_TARBALL")" --wildcards '*/charts/ingress-nginx/values.yaml')
pinned_digest() { # IMAGE (the chart's `image:` value): the digest the chart pins next to it
    awk -v img="$1" '$1 == "image:" && $2 == img { found = 1 } found && $1 == "digest:" { print $2; exit }' <<<"$values"
}
{
    echo "registry.k8s.io/ingress-nginx/controller:$INGRESS_NGINX_VERSION registry.k8s.io/ingress-nginx/controller@$(pinned_digest ingress-nginx/controller)"
    echo "registry.k8s.io/ingress-nginx/kube-webhook-certgen:$CERTGEN_VERSION registry.k8s.io/ingress-nginx/kube-webhook-certgen@$(pinned_digest ingress-nginx/kube-webhook-certgen)"
} >"$out/aliases"
if [ "$(grep -c '@sha256:[0-9a-f]\{64\}$' "$out/aliases")" != 2 ]; then
    log "no digest for an ingress-nginx image in the chart's values.yaml"
    exit 1
fi
find "$out" -maxdepth 1 -name '*.tar' ! -name "*-$key.tar" -delete
