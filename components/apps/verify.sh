#!/bin/sh
# The verify step's requests, run by the verify Job (components/apps/verify.ts) in busybox: `sh`,
# `wget`, `timeout`, `sed`, `date`. The Job starts beside the releases' rollouts, so each check is
# requested again, one second apart, until its page names one of its versions or the step's time is
# up; a check that never does prints one line —
#   release <r>, <target>: expected version <v>, got <what came back>
# — and the script exits 1 with those lines in the termination log, which `pulumi up` reports.
# `timeout` bounds each request: Debian's busybox wget (the real node's) has no `-T`.
#
# Environment:
#   VERIFY_CHECKS           one check a line, its fields separated by the unit separator (\037):
#                           release, target, URL, versions (space-separated), the reason it is
#                           skipped (empty: requested), then each header as `Name: value`
#   VERIFY_SECONDS          how long the checks may take, all together (default 60)
#   VERIFY_TERMINATION_LOG  where the failure lines go (default /dev/termination-log)
set -u

sep=$(printf '\037')
deadline=$(($(date +%s) + ${VERIFY_SECONDS:-60}))
log=${VERIFY_TERMINATION_LOG:-/dev/termination-log}
fails=''
requested=0
skipped=0

# check RELEASE TARGET URL VERSIONS [wget option...]: request URL until its page names one of VERSIONS.
check() {
    release=$1 target=$2 url=$3 want=$4
    shift 4
    while :; do
        if page=$(timeout 3 wget -q -O - "$@" "$url" 2>&1 </dev/null); then
            got=$(printf '%s\n' "$page" | sed -n 's:.*<p id="version">Version\: \([^<]*\)</p>.*:\1:p' | head -n 1)
            case " $want " in *" $got "*) [ -n "$got" ] && return 0 ;; esac
            if [ -n "$got" ]; then got="version $got"; else got='a page naming no version'; fi
        else
            got="no answer ($(printf '%s' "$page" | tr '\n' ' ' | sed 's/ *$//'))"
        fi
        [ "$(date +%s)" -lt "$deadline" ] || break
        sleep 1
    done
    line="release $release, $target: expected version $(printf %s "$want" | sed 's/ / or /g'), got $got"
    printf '%s\n' "$line"
    fails="$fails$line
"
}

while IFS=$sep read -r release target url want skip headers; do
    [ -n "$release" ] || continue
    if [ -n "$skip" ]; then
        echo "skipped: release $release, $target: $skip"
        skipped=$((skipped + 1))
        continue
    fi
    requested=$((requested + 1))
    # One `--header` option per header field.
    set -f
    IFS=$sep
    # shellcheck disable=SC2086 # split on the separator: one positional parameter per header
    set -- $headers
    unset IFS
    set +f
    n=$#
    while [ "$n" -gt 0 ]; do
        set -- "$@" --header "$1"
        shift
        n=$((n - 1))
    done
    check "$release" "$target" "$url" "$want" "$@"
done <<EOF
${VERIFY_CHECKS:-}
EOF

if [ -n "$fails" ]; then
    printf '%s' "$fails" >"$log"
    exit 1
fi
if [ "$skipped" -gt 0 ]; then
    echo "verified: $requested requests, each answered by the expected version; $skipped skipped (no pod to answer)"
else
    echo "verified: $requested requests, each answered by the expected version"
fi
