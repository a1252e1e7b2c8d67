#!/usr/bin/env bash
# `toolchain.sh check`: exit 0 when the Pulumi toolchain the e2e suite needs is installed — the CLI
# and the Node.js language host on PATH, and the kubernetes and command provider plugins at exactly
# the versions package-lock.json pins (so what ships is what was tested). Otherwise exit 1 and print
# one line saying what is missing. The toolchain is a prerequisite (see the README), never built here.
set -uo pipefail
cd "$(dirname "$0")/../.." || exit 1
lockver() { node -p "require('./package-lock.json').packages['node_modules/$1'].version"; }
problems=()
command -v pulumi >/dev/null 2>&1 || problems+=("no pulumi CLI on PATH")
command -v pulumi-language-nodejs >/dev/null 2>&1 || problems+=("no pulumi-language-nodejs on PATH")
# Ships beside the CLI; runs the program's dynamic resources (the Dashboard's generated CSRF key).
command -v pulumi-resource-pulumi-nodejs >/dev/null 2>&1 || problems+=("no pulumi-resource-pulumi-nodejs on PATH")
if command -v pulumi >/dev/null 2>&1; then
    plugins=$(PULUMI_SKIP_UPDATE_CHECK=true pulumi plugin ls --json 2>/dev/null || echo '[]')
    for p in kubernetes command; do
        want=$(lockver "@pulumi/$p")
        echo "$plugins" | node -e "const l=JSON.parse(require('fs').readFileSync(0,'utf8'))||[];process.exit(l.some(x=>x.name==='$p'&&x.kind==='resource'&&x.version==='$want')?0:1)" ||
            problems+=("no $p provider plugin $want (pulumi plugin install resource $p $want)")
    done
fi
if [ ${#problems[@]} -gt 0 ]; then
    echo "the Pulumi toolchain is not installed: $(printf '%s; ' "${problems[@]}" | sed 's/; $//') (see the README's prerequisites)"
    exit 1
fi
[ "${1:-}" = check ] && exit 0
