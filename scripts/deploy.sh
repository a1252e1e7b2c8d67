#!/usr/bin/env bash
# `npm run deploy`: the dev stack on a running cluster, local state (Pulumi.yaml's backend.url: no
# account needed), a preview first. Interactive: `pulumi up` shows the preview and asks before it
# changes anything. With no terminal (CI, scripts) it previews and stops unless `--yes` is given:
# nothing is ever applied unseen. Afterwards plain `pulumi` in this folder reaches the same stack
# (with PULUMI_CONFIG_PASSPHRASE exported; see docs/stacks-and-state.md).
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

me=deploy
. scripts/common.sh
require_tools pulumi pulumi-language-nodejs kubectl
[ -d node_modules ] || npm ci --no-audit --no-fund
use_stack "$stack"
pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"

# Say where this goes before anything else, and stop if nothing answers there.
context=$(pulumi config get --path cluster.context --stack "$stack" 2>/dev/null || true)
[ -n "$context" ] || context=$(kubectl config current-context 2>/dev/null || true)
if ! kubectl ${context:+--context "$context"} cluster-info --request-timeout=5s >/dev/null 2>&1; then
    echo "deploy: no Kubernetes cluster answers on context '${context:-<none>}'; start one (minikube start, kind create cluster) or run npm run render to write the manifests instead" >&2
    exit 1
fi
echo "deploy: stack $stack → kube context '$context'"
# A pool on no node's network gets addresses nobody can reach: say so before the preview (a warning only).
kubectl ${context:+--context "$context"} get nodes -o json --request-timeout=10s 2>/dev/null | node --import tsx scripts/pool-check.ts "$stack" || true

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
[ "$stack" = dev ] && hint=' (export PULUMI_CONFIG_PASSPHRASE=bare-metal-lab first)' || hint=''
echo "deploy: done; pulumi stack output --stack $stack shows the addresses and the curl lines$hint"
