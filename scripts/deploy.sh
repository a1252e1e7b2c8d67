#!/usr/bin/env bash
# `npm run deploy`: the dev stack on the current kube context, with local state (no account needed).
# When no cluster answers, the same program renders the manifests into ./rendered instead.
set -euo pipefail
cd "$(dirname "$0")/.."
if ! command -v pulumi >/dev/null 2>&1; then
    echo "deploy: the Pulumi CLI is not on PATH (install it: https://www.pulumi.com/docs/install/), then run npm run deploy again" >&2
    exit 1
fi
[ -d node_modules ] || npm ci --no-audit --no-fund
export PULUMI_BACKEND_URL="${PULUMI_BACKEND_URL:-file://$PWD/.pulumi-state}"
# dev-only passphrase of Pulumi.dev.yaml; other stacks bring their own.
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-bare-metal-lab}"
mkdir -p .pulumi-state
stack=dev
pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack"
if ! kubectl cluster-info --request-timeout=5s >/dev/null 2>&1; then
    echo "deploy: no Kubernetes cluster answers on the current context; rendering the platform's YAML into ./rendered instead"
    stack=dev-render
    pulumi stack select "$stack" 2>/dev/null || pulumi stack init "$stack" --copy-config-from dev
    pulumi config set --path cluster.renderYamlTo rendered --stack "$stack"
fi
pulumi up --stack "$stack" --yes "$@"
