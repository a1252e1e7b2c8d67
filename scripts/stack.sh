#!/usr/bin/env bash
# `npm run preview` and `npm run destroy`: the plain `pulumi preview --diff` / `pulumi destroy` of the
# dev stack (or --stack S), with the dev stack's passphrase filled in as `npm run deploy` does.
#
#   npm run preview                   what `pulumi up` would change (creates the dev stack if needed)
#   npm run destroy                   shows what goes, then asks
#   npm run destroy -- --yes          without asking (with no terminal, --yes is required)
#   npm run preview -- --stack prod   another stack (its own passphrase: set PULUMI_CONFIG_PASSPHRASE)
set -euo pipefail
cd "$(dirname "$0")/.."
command=${1:?usage: stack.sh preview|destroy [--stack S] [--yes] [pulumi flags]}
shift
stack=dev
yes=false
extra=()
while [ $# -gt 0 ]; do
    case "$1" in
    --yes | -y) yes=true ;;
    --stack | -s) stack=${2:?--stack needs a stack name}; shift ;;
    *) extra+=("$1") ;;
    esac
    shift
done

me=$command
. scripts/common.sh
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
*)
    echo "stack.sh: unknown command '$command' (expected preview or destroy)" >&2
    exit 1
    ;;
esac
