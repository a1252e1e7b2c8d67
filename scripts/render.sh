#!/usr/bin/env bash
# `npm run render [-- DIR]`: the dev stack's manifests as YAML files in DIR (default ./rendered),
# applied nowhere: the kubernetes provider's render mode. Needs the Pulumi toolchain (render mode
# runs the program on the engine) and, for MetalLB / ingress-nginx / the Dashboard, their chart
# repositories; Helm renders the charts for the version of the cluster on the kube context, and with
# none in reach ingress-nginx's and the Dashboard's refuse to render (docs/getting-started.md).
# A throw-away stack in a scratch folder holds the state, so nothing is left behind. The provider's
# folders (0-crd, 1-manifest) replace those of the last render; anything else in DIR stays (the
# Kickstart's rendered/kickstart/ks.cfg among them), and a failed render leaves the last one whole.
set -euo pipefail
cd "$(dirname "$0")/.."
out=$(realpath -m "${1:-rendered}")
[ $# -gt 0 ] && shift
for tool in pulumi pulumi-language-nodejs; do
    command -v "$tool" >/dev/null 2>&1 || { echo "render: $tool is not on PATH; docs/getting-started.md#prerequisites says how to install the Pulumi toolchain" >&2; exit 1; }
done
[ -d node_modules ] || npm ci --no-audit --no-fund
scratch=$(mktemp -d "${TMPDIR:-/tmp}/bmp-render-XXXXXX")
trap 'rm -rf "$scratch"' EXIT
for entry in $(grep -v '^#' scripts/project-files.txt) node_modules; do ln -s "$PWD/$entry" "$scratch/$entry"; done
cp Pulumi.dev.yaml "$scratch/Pulumi.render.yaml"
export PULUMI_BACKEND_URL="file://$scratch/.state" PULUMI_SKIP_UPDATE_CHECK=true
export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-bare-metal-lab}"
mkdir -p "$scratch/.state" "$scratch/rendered"
cd "$scratch"
pulumi stack init render --non-interactive >/dev/null
pulumi config set --path cluster.renderYamlTo "$scratch/rendered" --stack render --non-interactive
pulumi up --stack render --yes --non-interactive "$@"
count=$(find "$scratch/rendered" -name '*.yaml' | wc -l)
mkdir -p "$out"
shopt -s nullglob
for folder in "$scratch/rendered"/*; do
    rm -rf "${out:?}/$(basename "$folder")"
    mv "$folder" "$out/"
done
echo "render: manifests in $out ($count files)"
