#!/usr/bin/env bash
# `npm run preview` and `npm run destroy`: the plain `pulumi preview --diff` / `pulumi destroy` of the
# dev stack (or --stack S), with the dev stack's passphrase filled in as `npm run deploy` does.
#
#   npm run preview                   what `pulumi up` would change (creates the dev stack if needed)
#   npm run destroy                   shows what goes, then asks
#   npm run destroy -- --yes          without asking (with no terminal, --yes is required)
#   npm run preview -- --stack prod   another stack (its own passphrase: PULUMI_CONFIG_PASSPHRASE_FILE;
#                                     the dev one is refused: docs/stacks-and-state.md#creating-the-prod-stack)
#   npm run unlock                    after an interrupted `pulumi up` (killed, the machine lost): repairs
#                                     a state file's sidecar the kill left unreadable, removes the stack's
#                                     lock once no update holding it still runs here, settles the creates
#                                     it had in flight, then says what comes next
#                                     (docs/operations.md, "Faults")
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: stack.sh preview|destroy|unlock [--stack S] [--yes] [--force] [pulumi flags]}
shift
me=$command
# shellcheck source=scripts/common.sh
. scripts/common.sh
takes_force=true
parse_args "$@"
require_tools pulumi pulumi-language-nodejs
[ -d node_modules ] || npm ci --no-audit --no-fund
use_stack "$stack"

case "$command" in
preview)
    pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"
    exec pulumi preview --stack "$stack" --diff "${extra[@]}"
    ;;
destroy)
    if ! pulumi stack select "$stack" 2>/dev/null; then
        echo "destroy: stack $stack was never deployed here (pulumi stack ls lists the stacks of this folder's state)" >&2
        exit 1
    fi
    if [ "$yes" = true ]; then
        pulumi destroy --stack "$stack" --yes "${extra[@]}"
    elif [ -t 0 ] && [ -t 1 ]; then
        pulumi destroy --stack "$stack" "${extra[@]}" # shows what goes, then asks
    else
        echo "destroy: no terminal to ask on; run again with --yes to destroy stack $stack" >&2
        exit 2
    fi
    # Kubernetes keeps a StatefulSet's claims so that data outlives its pods: MinIO's stays.
    if [ "$(pulumi config get --path minio.enabled --stack "$stack" 2>/dev/null || echo true)" != false ]; then
        name=$(pulumi config get --path minio.name --stack "$stack" 2>/dev/null || echo minio)
        namespace=$(pulumi config get --path minio.namespace --stack "$stack" 2>/dev/null || echo default)
        echo "destroy: MinIO's volume claim $namespace/data-$name-0 stays, as Kubernetes keeps a StatefulSet's claims; kubectl delete pvc data-$name-0 -n $namespace deletes its data"
    fi
    ;;
unlock)
    # A killed `pulumi up` leaves its lock, and the next one stops at "the stack is currently locked".
    # `pulumi cancel` removes every lock of the stack, a live update's too: so first make sure none
    # runs. A file backend's lock names its process and host; another backend's cannot be checked here.
    backend=${PULUMI_BACKEND_URL:-$(sed -n 's/^ *url: *//p' Pulumi.yaml | head -1)}
    if [[ $backend == file://* ]]; then
        dir=${backend#file://}
        dir=${dir%%\?*}
        # A kill while the CLI wrote the state can leave a file's sidecar empty, and then every
        # command fails with "failed to load checkpoint: EOF" (scripts/state-sidecars.ts says why).
        repaired=""
        if [ -d "$dir/.pulumi" ]; then
            repaired=$(node --import tsx scripts/state-sidecars.ts "$dir/.pulumi")
            [ -z "$repaired" ] || echo "$repaired"
        fi
        locks=("$dir"/.pulumi/locks/organization/*/"$stack"/*.json)
        if [ ! -e "${locks[0]}" ]; then
            if [ -n "$repaired" ]; then
                echo "unlock: stack $stack is not locked; next: pulumi up --refresh --stack $stack"
            else
                echo "unlock: stack $stack is not locked; nothing to do"
            fi
            exit 0
        fi
        for lock in "${locks[@]}"; do
            pid=$(sed -n 's/.*"pid":\([0-9]*\).*/\1/p' "$lock")
            host=$(sed -n 's/.*"hostname":"\([^"]*\)".*/\1/p' "$lock")
            if [ "$host" = "$(hostname)" ] && [ -n "$pid" ] && tr '\0' ' ' 2>/dev/null <"/proc/$pid/cmdline" | grep -q pulumi; then
                echo "unlock: an update of stack $stack is still running here (pulumi, pid $pid): wait for it, or stop it (Ctrl-C once lets it finish its steps)" >&2
                exit 1
            fi
            if [ "$host" != "$(hostname)" ] && [ "$force" = false ]; then
                echo "unlock: stack $stack is locked from host $host (pid $pid), which cannot be checked from here; run again with --force once no update runs there" >&2
                exit 1
            fi
        done
    elif [ "$force" = false ]; then
        echo "unlock: the state is not in a folder ($backend), so whether an update still runs cannot be checked here; run again with --force once none does" >&2
        exit 1
    fi
    pulumi cancel --stack "$stack" --yes
    # The creates the interrupted update had in flight: neither `up` nor `refresh` settles them with
    # this CLI (scripts/pending-creates.ts says why), so the state takes each object by the ID its
    # inputs name, and a refresh reads it back (or drops it, if the create never reached the cluster).
    work=$(mktemp -d)
    trap 'rm -rf "$work"' EXIT
    pulumi stack export --stack "$stack" --file "$work/state.json"
    status=0
    node --import tsx scripts/pending-creates.ts "$work/state.json" "$work/repaired.json" || status=$?
    case $status in
    0)
        pulumi stack import --stack "$stack" --file "$work/repaired.json"
        pulumi refresh --stack "$stack" --yes --skip-preview
        ;;
    3) ;; # no create was in flight
    *) exit "$status" ;;
    esac
    echo "unlock: done; next: pulumi up --refresh --stack $stack (it reads back what the interrupted update changed in the cluster, then goes on)"
    ;;
*)
    echo "stack.sh: unknown command '$command' (expected preview, destroy or unlock)" >&2
    exit 1
    ;;
esac
