#!/usr/bin/env bash
# `npm run deploy`: the dev stack on a running cluster, local state (Pulumi.yaml's backend.url: no
# account needed), a preview first. Interactive: `pulumi up` shows the preview and asks before it
# changes anything. With no terminal (CI, scripts) it previews and stops unless `--yes` is given:
# nothing is ever applied unseen. Afterwards plain `pulumi` in this folder reaches the same stack
# (with PULUMI_CONFIG_PASSPHRASE exported; see docs/stacks-and-state.md).
#
#   npm run deploy                  preview, then ask
#   npm run deploy -- --yes         preview, then apply without asking
#   npm run deploy -- --stack prod  another stack (its own passphrase: PULUMI_CONFIG_PASSPHRASE_FILE;
#                                   the dev one is refused: docs/stacks-and-state.md#creating-the-prod-stack)
set -euo pipefail
cd "$(dirname "$0")/.."

me=deploy
# shellcheck source=scripts/common.sh
. scripts/common.sh
parse_args "$@"
require_tools pulumi pulumi-language-nodejs kubectl
[ -d node_modules ] || npm ci --no-audit --no-fund
use_stack "$stack"
pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"

# Say where this goes before anything else, and stop if nothing answers there: the cluster the
# provider targets, from the stack's cluster.kubeconfig (a file's path or its contents) and
# cluster.context; not set, kubectl's own ($KUBECONFIG, else ~/.kube/config) and its current context.
setting() { pulumi config get --path "$1" --stack "$stack" 2>/dev/null || true; }
scratch=()
trap 'rm -f "${scratch[@]}"' EXIT
if [ "$(setting hosts.enabled)" = true ] && [ "$(setting hosts.k3s.enabled)" = true ]; then
    # The bare-VM path: the cluster is made by this update (docs/hosts.md), so there is none to ask yet.
    echo "deploy: stack $stack → the k3s cluster this update installs on the hosts (hosts.k3s)"
else
    kubeconfig=$(setting cluster.kubeconfig)
    kube=()
    where=${KUBECONFIG:-~/.kube/config}
    if [ -n "$kubeconfig" ]; then
        if [[ $kubeconfig == *$'\n'* || $kubeconfig == "{"* ]]; then
            where="cluster.kubeconfig's contents"
            scratch+=("$(mktemp)")
            (umask 077 && printf '%s\n' "$kubeconfig" >"${scratch[-1]}")
            kube=(--kubeconfig "${scratch[-1]}")
        else
            where=$kubeconfig
            file=${kubeconfig/#\~/$HOME}
            if [ ! -f "$file" ]; then
                echo "deploy: cluster.kubeconfig $kubeconfig is not a file (expected the path of a kubeconfig, or its contents)" >&2
                exit 1
            elif [ ! -r "$file" ]; then
                echo "deploy: cluster.kubeconfig $kubeconfig is not readable by $(id -un) (k3s writes /etc/rancher/k3s/k3s.yaml for root only): docs/getting-started.md#a-k3s-clusters-kubeconfig says what to set" >&2
                exit 1
            fi
            kube=(--kubeconfig "$file")
        fi
    fi
    context=$(setting cluster.context)
    [ -n "$context" ] || context=$(kubectl "${kube[@]}" config current-context 2>/dev/null || true)
    kube+=(${context:+--context "$context"})
    if ! kubectl "${kube[@]}" cluster-info --request-timeout=5s >/dev/null 2>&1; then
        echo "deploy: no Kubernetes cluster answers on context '${context:-<none>}' of $where; start one (minikube start, kind create cluster) or run npm run render to write the manifests instead; on k3s, docs/getting-started.md#a-k3s-clusters-kubeconfig says what to set" >&2
        exit 1
    fi
    echo "deploy: stack $stack → kube context '$context' of $where"
    # A pool on no node's network gets addresses nobody can reach: say so before the preview (a warning only).
    kubectl "${kube[@]}" get nodes -o json --request-timeout=10s 2>/dev/null | node --import tsx scripts/pool-check.ts "$stack" || true
fi

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
scratch+=("$log")
rc=0
pulumi up --stack "$stack" --yes --skip-preview --continue-on-error "${extra[@]}" 2>&1 | tee "$log" || rc=${PIPESTATUS[0]}
if [ "$rc" -ne 0 ]; then
    # The hosts' messages start with 'host "<name>" (<address>:<port>)'; one line per host and problem.
    failed=$(grep -oE 'host "[^"]+" \([^)]+\) .*' "$log" | sort -u || true)
    if [ -n "$failed" ]; then
        echo "deploy: these hosts failed (the others went on):" >&2
        # shellcheck disable=SC2001 # a prefix on every line
        sed 's/^/  /' <<<"$failed" >&2
    fi
    exit "$rc"
fi
[ "$stack" = dev ] && hint=' (export PULUMI_CONFIG_PASSPHRASE=bare-metal-lab first)' || hint=''
echo "deploy: done; pulumi stack output --stack $stack shows the addresses and the curl lines$hint"
