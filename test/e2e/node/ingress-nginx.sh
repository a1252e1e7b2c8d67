# shellcheck shell=bash disable=SC2154 # cache, work: images.sh's
# Sourced by images.sh (its key covers this file): registry.k8s.io/ingress-nginx/controller:v1.15.1 as
# upstream builds it, on Debian's libraries instead of Alpine's. All sources are SOURCES.md tarballs
# (sources.sh); Go dependencies come from the module proxy, C libraries from the host's Debian.
#
#   nginx        images/nginx/rootfs/build.sh of the ingress-nginx tarball: nginx 1.27.1 with every patch of
#                images/nginx/rootfs/patches, configured with build.sh's paths and flags, the static modules
#                ndk, set-misc, headers-more, lua-nginx-module, stream-lua-nginx-module and
#                lua-upstream-nginx-module, against luajit2 (v2.1-20240314: build.sh pins v2.1-20250117,
#                which is not at hand; see SOURCES.md) installed under /usr/local; the Lua libraries
#                installed as build.sh installs them (LUA_LIB_DIR=/usr/local/lib/lua, cjson.so in
#                /usr/local/lib/lua/5.1). build.sh's dynamic modules are left out, each for the sources
#                or libraries it needs that are not here (lua-resty-openssl neither, as in build.sh: resty.http
#                warns at start that mTLS needs it):
#                  ModSecurity-nginx       libmodsecurity (git clone of owasp-modsecurity/ModSecurity) + the OWASP CRS
#                  ngx_http_geoip2_module  its source and libmaxminddb (not mirrored)
#                  ngx_brotli              its source (git clone with submodules; not mirrored)
#                  njs                     its source (not mirrored)
#                  otel_ngx_module         opentelemetry-cpp(-contrib), gRPC, protobuf, abseil (not mirrored)
#                  nginx-http-auth-digest  its source (not mirrored)
#                  mimalloc                (not a module: a library the chart's enableMimalloc, on by default,
#                                          LD_PRELOADs from /usr/local/lib/libmimalloc.so) its source is not
#                                          mirrored: Debian's libmimalloc2.0 (2.0.9; build.sh builds v2.2.4)
#                                          is installed there instead, as build.sh's make install lays it out
#                --with-http_v3_module stays: with Debian's OpenSSL 3.0 nginx builds its QUIC
#                OpenSSL-compatibility layer, no other library.
#   controller   /nginx-ingress-controller, /dbg, /wait-shutdown: cmd/nginx, cmd/dbg, cmd/waitshutdown of
#                the ingress-nginx tarball with its go.mod and go.sum, flags of upstream's build/build.sh.
#   image        rootfs/Dockerfile over images/nginx/rootfs/Dockerfile: rootfs/etc as /etc, the writable
#                directories owned by www-data (uid 101, gid 82 as Alpine's), dumb-init (static, from its
#                tarball), Debian's diff (the controller logs config changes with it), bash (wait-shutdown
#                runs `bash -c pkill …`) and pgrep/pkill (procps; Alpine's come from busybox), busybox for
#                the rest of /bin, and the shared libraries from the host (ldd) with an ld.so.cache.
#
# File capabilities, as upstream: cap_net_bind_service=+ep on /nginx-ingress-controller, nginx and
# dumb-init. Why they are needed (kernel commoncap.c, containerd v2.2.9's CRI, and runc runs of this image
# as the chart runs it: uid 101, capabilities drop ALL add NET_BIND_SERVICE, allowPrivilegeEscalation
# false, i.e. no_new_privs): the runtime puts NET_BIND_SERVICE in the bounding, permitted and effective
# sets, but containerd's CRI clears the ambient set (WithoutAmbientCaps), so a non-root process loses it
# at its execve unless the file grants it. Without file caps nginx's bind() to :80 fails (EACCES); with
# them dumb-init → controller → nginx keep it, no_new_privs notwithstanding (the kernel then only caps
# the new permitted set at the old one, which holds it). Every program of that chain needs the file
# caps: one without them in between (a shell) and nginx's bind fails again. With the capability
# dropped and not added, exec of dumb-init itself fails (EPERM: the file asks for a capability the
# bounding set lacks). containerd 2.x also sets net.ipv4.ip_unprivileged_port_start=0 in pods without
# hostNetwork (enable_unprivileged_ports): there :80 binds without any capability, with hostNetwork
# it does not. The layer keeps the capabilities as security.capability xattrs (oci_image … owned) and
# its files' owners as they are in the rootfs, so this image is assembled as root.

INGRESS_NGINX_VERSION=v1.15.1
INGRESS_NGINX_COMMIT=0a5901f3c64f11e92e487799b8da3f00cca37515
INGRESS_NGINX_TARBALL=ingress-nginx-controller-$INGRESS_NGINX_VERSION.tar.gz
# build.sh's sources, in its order (its directory names: the tarball's name without version).
INGRESS_NGINX_NATIVE_TARBALLS="nginx-1.27.1.tar.gz ngx_devel_kit-v0.3.3.tar.gz set-misc-nginx-module-v0.33.tar.gz
headers-more-nginx-module-v0.37.tar.gz lua-nginx-module-v0.10.28.tar.gz stream-lua-nginx-module-v0.0.16.tar.gz
lua-upstream-nginx-module-v0.07.tar.gz luajit2-v2.1-20240314.tar.gz lua-resty-upload-v0.11.tar.gz
lua-resty-string-v0.16.tar.gz lua-resty-balancer-v0.05.tar.gz lua-resty-core-v0.1.31.tar.gz lua-cjson-2.1.0.14.tar.gz
lua-resty-cookie-f418d77082ea.tar.gz lua-resty-lrucache-v0.15.tar.gz lua-resty-lock-v0.09.tar.gz lua-resty-dns-v0.23.tar.gz
lua-resty-http-v0.17.2.tar.gz lua-resty-memcached-v0.17.tar.gz lua-resty-redis-v0.31.tar.gz
lua-resty-ipmatcher-3e93c53eb8c9.tar.gz dumb-init-v1.2.5.tar.gz"
# What the build needs on the host (installed when missing, as root); procps for pgrep's libraries.
INGRESS_NGINX_HOST_PACKAGES="build-essential patch libpcre3-dev zlib1g-dev libssl-dev libcap2-bin procps"

ingress_nginx_host_packages() {
    local p missing=()
    for p in $INGRESS_NGINX_HOST_PACKAGES; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
    [ ${#missing[@]} = 0 ] && return 0
    [ "$(id -u)" = 0 ] || { log "the ingress-nginx image needs ${missing[*]} (apt-get install ${missing[*]}, as root)"; return 1; }
    log "installing ${missing[*]} from Debian"
    apt-get update -qq >/dev/null
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The pinned sha256 of each tarball the native build reads (so a new pin rebuilds it).
ingress_nginx_native_sums() {
    local f
    for f in $INGRESS_NGINX_TARBALL $INGRESS_NGINX_NATIVE_TARBALLS; do printf '%s %s\n' "$f" "$(sources_field "$f" 7)"; done
}

# ingress_nginx_native: prints a directory (cached by this function's text and its tarballs) holding what build.sh installs and the image keeps —
# /usr/local/{nginx,lib,include,bin,share}, /etc/nginx's defaults (mime.types, fastcgi_params, …),
# /var/log/nginx — plus /usr/bin/dumb-init. Built in a fixed folder (the paths `nginx -V` shows),
# one build at a time (flock).
ingress_nginx_native() {
    local sum out b
    sum=$({ declare -f ingress_nginx_native; ingress_nginx_native_sums; } | sha256sum | cut -c1-12)
    out=$cache/bin/images/ingress-nginx-native-$sum
    b=$cache/src/ingress-nginx-build
    if [ ! -d "$out" ]; then
        mkdir -p "$cache/src"
        # (Run in $(…), where bash turns errexit off: the subshell turns it back on.)
        (
            set -e
            shopt -s inherit_errexit
            exec 9>"$b.lock"
            flock 9
            [ -d "$out" ] && exit 0
            renice -n 10 -p "$BASHPID" >/dev/null
            log "building nginx 1.27.1, LuaJIT and the Lua libraries for ingress-nginx (a few minutes)"
            local stage=$out.tmp f d p cc_opt ld_opt
            rm -rf "$b" "$stage" && mkdir -p "$b" "$stage"
            # build.sh's get_src: each source in $BUILD_PATH/<name>, nginx as nginx-<version>.
            for f in $INGRESS_NGINX_NATIVE_TARBALLS; do
                d=${f%.tar.gz}
                case $d in nginx-*) ;; *) d=$(sed -E 's/-(v?[0-9][^/]*|[0-9a-f]{12})$//' <<<"$d") ;; esac
                mkdir -p "$b/$d"
                tar -xzf "$(source_tarball "$f")" -C "$b/$d" --strip-components=1
            done
            mkdir -p "$b/ingress-nginx"
            tar -xzf "$(source_tarball "$INGRESS_NGINX_TARBALL")" -C "$b/ingress-nginx" --strip-components=1 \
                "ingress-nginx-controller-$INGRESS_NGINX_VERSION/images/nginx/rootfs/patches"
            MAKEFLAGS=-j$(nproc)
            export MAKEFLAGS

            # LuaJIT (openresty's) in /usr/local.
            make -C "$b/luajit2" CCDEBUG=-g PREFIX=/usr/local >/dev/null
            make -C "$b/luajit2" install PREFIX=/usr/local DESTDIR="$stage" >/dev/null
            ln -s /usr/local/bin/luajit "$stage/usr/local/bin/lua"
            ln -s /usr/local/include/luajit-2.1 "$stage/usr/local/include/lua"

            # nginx with its patches, build.sh's configure less the dynamic modules.
            cd "$b/nginx-1.27.1" || exit 1
            for p in "$b/ingress-nginx/images/nginx/rootfs/patches/"*; do
                case $p in *.txt) patch -s -p0 <"$p" ;; *) patch -s -p1 <"$p" ;; esac
            done
            cc_opt="-g -O2 -fPIE -fstack-protector-strong -Wformat -Werror=format-security -Wno-deprecated-declarations"
            cc_opt+=" -fno-strict-aliasing -D_FORTIFY_SOURCE=2 --param=ssp-buffer-size=4 -DTCP_FASTOPEN=23 -fPIC -Wno-cast-function-type"
            cc_opt+=" -m64 -mtune=generic"
            ld_opt="-fPIE -fPIC -pie -Wl,-z,relro -Wl,-z,now"
            LUAJIT_LIB=$stage/usr/local/lib LUAJIT_INC=$stage/usr/local/include/luajit-2.1 auto/configure \
                --prefix=/usr/local/nginx \
                --conf-path=/etc/nginx/nginx.conf \
                --modules-path=/etc/nginx/modules \
                --http-log-path=/var/log/nginx/access.log \
                --error-log-path=/var/log/nginx/error.log \
                --lock-path=/var/lock/nginx.lock \
                --pid-path=/run/nginx.pid \
                --http-client-body-temp-path=/var/lib/nginx/body \
                --http-fastcgi-temp-path=/var/lib/nginx/fastcgi \
                --http-proxy-temp-path=/var/lib/nginx/proxy \
                --http-scgi-temp-path=/var/lib/nginx/scgi \
                --http-uwsgi-temp-path=/var/lib/nginx/uwsgi \
                --with-debug \
                --with-compat \
                --with-pcre-jit \
                --with-http_ssl_module \
                --with-http_stub_status_module \
                --with-http_realip_module \
                --with-http_auth_request_module \
                --with-http_addition_module \
                --with-http_gzip_static_module \
                --with-http_sub_module \
                --with-http_v2_module \
                --with-http_v3_module \
                --with-stream \
                --with-stream_ssl_module \
                --with-stream_realip_module \
                --with-stream_ssl_preread_module \
                --with-threads \
                --with-http_secure_link_module \
                --with-http_gunzip_module \
                --with-file-aio \
                --without-mail_pop3_module \
                --without-mail_smtp_module \
                --without-mail_imap_module \
                --without-http_uwsgi_module \
                --without-http_scgi_module \
                --with-cc-opt="$cc_opt" \
                --with-ld-opt="$ld_opt" \
                --user=www-data \
                --group=www-data \
                --add-module="$b/ngx_devel_kit" \
                --add-module="$b/set-misc-nginx-module" \
                --add-module="$b/headers-more-nginx-module" \
                --add-module="$b/lua-nginx-module" \
                --add-module="$b/stream-lua-nginx-module" \
                --add-module="$b/lua-upstream-nginx-module" >"$b/configure.log"
            make >"$b/make.log" 2>&1 || { tail -30 "$b/make.log" >&2; exit 1; }
            make install DESTDIR="$stage" >/dev/null

            # The Lua libraries, as build.sh installs them.
            export LUA_LIB_DIR=/usr/local/lib/lua LUA_INCLUDE_DIR=$stage/usr/local/include/luajit-2.1
            make -C "$b/lua-resty-core" install DESTDIR="$stage" >/dev/null
            make -C "$b/lua-resty-balancer" all >/dev/null
            make -C "$b/lua-resty-balancer" install DESTDIR="$stage" >/dev/null
            make -C "$b/lua-cjson" all >/dev/null
            make -C "$b/lua-cjson" install DESTDIR="$stage" >/dev/null
            for d in lua-resty-cookie lua-resty-lrucache lua-resty-dns lua-resty-lock lua-resty-http lua-resty-upload \
                lua-resty-string lua-resty-memcached lua-resty-redis; do
                make -C "$b/$d" install DESTDIR="$stage" >/dev/null
            done
            make -C "$b/lua-resty-ipmatcher" install INST_LUADIR="$stage/usr/local/lib/lua" >/dev/null

            # dumb-init as its Makefile builds it (static).
            mkdir -p "$stage/usr/bin"
            (cd "$b/dumb-init" && cc -std=gnu99 -static -s -Wall -Werror -O3 -o "$stage/usr/bin/dumb-init" dumb-init.c)

            find "$stage/usr/local" -name '*.a' -delete
            mv -T "$stage" "$out"
            rm -rf "$b"
        )
        [ -d "$out" ] || { log "building nginx for ingress-nginx failed"; return 1; }
    fi
    echo "$out"
}

# ingress_nginx_libs ROOT DIR FILE…: the host's shared libraries FILE… need (ldd) into ROOT at the same
# paths, but for those found in DIR (already in ROOT).
ingress_nginx_libs() {
    local root=$1 dir=$2 file libs lib
    shift 2
    for file in "$@"; do
        libs=$(LD_LIBRARY_PATH=$dir ldd "$file")
        if grep -q 'not found' <<<"$libs"; then
            log "$file: missing shared libraries: $(grep 'not found' <<<"$libs" | tr -s ' \t\n' ' ')"
            return 1
        fi
        while read -r lib; do
            case $lib in "$dir"/*) continue ;; esac
            mkdir -p "$root$(dirname "$lib")"
            [ -e "$root$lib" ] || cp -L "$lib" "$root$lib"
        done < <(grep -o '/[^ ]*' <<<"$libs")
    done
}

image_ingress_nginx() {
    local root=$work/ingress-nginx native ldflags ctl dbg ws src d
    [ "$(id -u)" = 0 ] || { log "the ingress-nginx image is assembled as root (file owners and capabilities)"; return 1; }
    ingress_nginx_host_packages
    native=$(ingress_nginx_native)
    ldflags="-buildid= -X k8s.io/ingress-nginx/version.RELEASE=$INGRESS_NGINX_VERSION"
    ldflags+=" -X k8s.io/ingress-nginx/version.COMMIT=$INGRESS_NGINX_COMMIT -X k8s.io/ingress-nginx/version.REPO=https://github.com/kubernetes/ingress-nginx"
    ctl=$(tarball_binary ingress-nginx-controller "$INGRESS_NGINX_TARBALL" cmd/nginx "$ldflags")
    dbg=$(tarball_binary ingress-nginx-dbg "$INGRESS_NGINX_TARBALL" cmd/dbg "$ldflags")
    ws=$(tarball_binary ingress-nginx-wait-shutdown "$INGRESS_NGINX_TARBALL" cmd/waitshutdown "$ldflags")

    busybox_rootfs "$root"
    chmod 1777 "$root/tmp"
    # The nginx base image: build.sh's install, its runtime packages (Debian's here) and user.
    cp -a "$native/." "$root/"
    deb diffutils
    deb bash
    deb procps
    deb ca-certificates
    rm -f "$root/bin/diff"
    mkdir -p "$root/usr/bin" "$root/etc/ssl/certs"
    cp "$work/deb-diffutils/usr/bin/diff" "$root/usr/bin/diff"
    cp "$work/deb-bash/bin/bash" "$root/bin/bash"
    cp "$work/deb-procps/usr/bin/pgrep" "$root/usr/bin/pgrep"
    ln -s pgrep "$root/usr/bin/pkill"
    cat "$work/deb-ca-certificates/usr/share/ca-certificates/mozilla/"*.crt >"$root/etc/ssl/certs/ca-certificates.crt"
    deb libmimalloc2.0
    cp "$work/deb-libmimalloc2.0/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0" "$root/usr/local/lib/"
    ln -s libmimalloc.so.2.0 "$root/usr/local/lib/libmimalloc.so.2"
    ln -s libmimalloc.so.2 "$root/usr/local/lib/libmimalloc.so"
    ingress_nginx_libs "$root" "$native/usr/local/lib" "$native/usr/local/nginx/sbin/nginx" "$native/usr/local/bin/luajit" \
        "$native/usr/local/lib/lua/5.1/cjson.so" "$native/usr/local/lib/lua/librestychash.so" \
        "$root/usr/bin/diff" "$root/bin/bash" "$root/usr/bin/pgrep" "$root/usr/local/lib/libmimalloc.so.2.0"
    # libgcc_s: glibc loads it at run time for thread cancellation and unwinding.
    cp -L /lib/x86_64-linux-gnu/libgcc_s.so.1 "$root/lib/x86_64-linux-gnu/libgcc_s.so.1"
    # /usr/local/lib (LuaJIT) is found through Debian's ld.so.conf and a cache made for this root.
    mkdir -p "$root/etc/ld.so.conf.d"
    cp /etc/ld.so.conf "$root/etc/"
    cp /etc/ld.so.conf.d/libc.conf /etc/ld.so.conf.d/x86_64-linux-gnu.conf "$root/etc/ld.so.conf.d/"
    ldconfig -r "$root"
    mkdir -p "$root/sbin"
    ln -s /usr/local/nginx/sbin/nginx "$root/sbin/nginx"
    echo 'www-data:x:101:82:www-data:/usr/local/nginx:/sbin/nologin' >>"$root/etc/passwd"
    echo 'www-data:x:82:www-data' >>"$root/etc/group"
    for d in /var/log/nginx /var/lib/nginx/body /var/lib/nginx/fastcgi /var/lib/nginx/proxy /var/lib/nginx/scgi \
        /var/lib/nginx/uwsgi /var/log/audit /etc/nginx /usr/local/nginx; do
        mkdir -p "$root$d"
        chown -R 101:82 "$root$d"
    done

    # The controller image (rootfs/Dockerfile).
    src=$work/ingress-nginx-src
    mkdir -p "$src"
    tar -xzf "$(source_tarball "$INGRESS_NGINX_TARBALL")" -C "$src" --strip-components=1 "ingress-nginx-controller-$INGRESS_NGINX_VERSION/rootfs/etc"
    cp -a "$src/rootfs/etc/." "$root/etc/"
    chmod 0755 "$root/etc"
    chown -R 101:82 "$root/etc/nginx"
    install -o 101 -g 82 -m 0755 "$dbg" "$root/dbg"
    install -o 101 -g 82 -m 0755 "$ctl" "$root/nginx-ingress-controller"
    install -o 101 -g 82 -m 0755 "$ws" "$root/wait-shutdown"
    for d in /etc/ingress-controller /etc/ingress-controller/ssl /etc/ingress-controller/auth /etc/ingress-controller/geoip \
        /etc/ingress-controller/telemetry /var/log /var/log/nginx /tmp/nginx; do
        mkdir -p "$root$d"
        chown -R 101:82 "$root$d"
    done
    # After every chown (chown clears file capabilities).
    for d in /nginx-ingress-controller /usr/local/nginx/sbin/nginx /usr/bin/dumb-init; do
        setcap cap_net_bind_service=+ep "$root$d"
        setcap -q -v cap_net_bind_service=+ep "$root$d"
    done
    ln -sf /usr/local/nginx/sbin/nginx "$root/usr/bin/nginx"
    ln -sf /dev/stdout "$root/var/log/nginx/access.log"
    ln -sf /dev/stderr "$root/var/log/nginx/error.log"
    chown -h 101:82 "$root/var/log/nginx/access.log" "$root/var/log/nginx/error.log"

    oci_image "$1" "$root" "$(printf '{"Entrypoint":["/usr/bin/dumb-init","--"],"Cmd":["/nginx-ingress-controller"],"User":"www-data","WorkingDir":"/etc/nginx",%s,%s,%s}' \
        '"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin:/usr/local/luajit/bin:/usr/local/nginx/sbin:/usr/local/nginx/bin","LUA_PATH=/usr/local/share/luajit-2.1.0-beta3/?.lua;/usr/local/share/lua/5.1/?.lua;/usr/local/lib/lua/?.lua;;","LUA_CPATH=/usr/local/lib/lua/?/?.so;/usr/local/lib/lua/?.so;;"]' \
        '"ExposedPorts":{"80/tcp":{},"443/tcp":{}}' \
        "\"Labels\":{\"org.opencontainers.image.source\":\"https://github.com/kubernetes/ingress-nginx\",\"org.opencontainers.image.version\":\"$INGRESS_NGINX_VERSION\",\"org.opencontainers.image.revision\":\"$INGRESS_NGINX_COMMIT\"}")" owned
}
