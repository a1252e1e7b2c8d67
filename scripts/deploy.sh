#!/usr/bin/env bash
# `npm run deploy`: the dev stack on a running cluster, local state (no account needed), a preview
# first. Interactive: `pulumi up` shows the preview and asks before it changes anything. With no
# terminal (CI, scripts) it previews and stops unless `--yes` is given: nothing is ever applied unseen.
#
#   npm run deploy                  preview, then ask
#   npm run deploy -- --yes         preview, then apply without asking
#   npm run deploy -- --stack prod  another stack (its own passphrase: set PULUMI_CONFIG_PASSPHRASE)
set -euo pipefail
cd "$(dirname "$0")/.."

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

for tool in pulumi pulumi-language-nodejs kubectl; do
    if ! command -v "$tool" >/dev/null 2>&1; then
        echo "deploy: $tool is not on PATH; the README's prerequisites say how to install the Pulumi toolchain and kubectl" >&2
        exit 1
    fi
done
[ -d node_modules ] || npm ci --no-audit --no-fund

export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
export PULUMI_SKIP_UPDATE_CHECK=true
# dev-only passphrase of Pulumi.dev.yaml; other stacks bring their own.
if [ "$stack" = dev ]; then export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-bare-metal-lab}"; fi
[ -f "Pulumi.$stack.yaml" ] || { echo "deploy: there is no Pulumi.$stack.yaml (stacks here: $(ls Pulumi.*.yaml | sed 's/Pulumi\.\(.*\)\.yaml/\1/' | tr '\n' ' '))" >&2; exit 1; }
mkdir -p .pulumi-state
pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"

# Say where this goes before anything else, and stop if nothing answers there.
context=$(pulumi config get --path cluster.context --stack "$stack" 2>/dev/null || true)
[ -n "$context" ] || context=$(kubectl config current-context 2>/dev/null || true)
if ! kubectl ${context:+--context "$context"} cluster-info --request-timeout=5s >/dev/null 2>&1; then
    echo "deploy: no Kubernetes cluster answers on context '${context:-<none>}'; start one (minikube start, kind create cluster) or run npm run render to write the manifests instead" >&2
    exit 1
fi
echo "deploy: stack $stack → kube context '$context'"

# --continue-on-error: one host that fails (unreachable, a step that fails or runs out of time) stops
# only its own later steps; the other hosts' steps and the rest of the stack go on, as the lab's
# Ansible went on with the reachable hosts. The update still ends failed, naming each failed host.
if [ -t 0 ] && [ -t 1 ] && [ "$yes" = false ]; then
    exec pulumi up --stack "$stack" --continue-on-error "${extra[@]}" # shows the preview, then asks
fi
pulumi preview --stack "$stack" --diff "${extra[@]}"
if [ "$yes" = false ]; then
    echo "deploy: preview only (no terminal to ask on); run again with --yes to apply it" >&2
    exit 2
fi
log=$(mktemp)
trap 'rm -f "$log"' EXIT
rc=0
pulumi up --stack "$stack" --yes --skip-preview --continue-on-error "${extra[@]}" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    # The hosts' messages start with 'host "<name>" (<address>:<port>)'; one line per host and problem.
    failed=$(grep -oE 'host "[^"]+" \([^)]+\) .*' "$log" | sort -u || true)
    if [ -n "$failed" ]; then
        echo "deploy: these hosts failed (the others went on):" >&2
        sed 's/^/  /' <<<"$failed" >&2
    fi
    exit "$rc"
fi
