# Sourced by deploy.sh and stack.sh (set `me` first): the checks and settings every stack command
# shares. The state's place is Pulumi.yaml's `backend.url`, so plain `pulumi` reaches the same
# stacks; this only adds the dev stack's public passphrase and a stack that exists.

# Exits 1 naming the first tool that is not on PATH.
require_tools() {
    local tool
    for tool in "$@"; do
        if ! command -v "$tool" >/dev/null 2>&1; then
            echo "$me: $tool is not on PATH; docs/getting-started.md#prerequisites says how to install the Pulumi toolchain and kubectl" >&2
            exit 1
        fi
    done
}

# Exports what `pulumi` needs for stack $1 (the dev stack's passphrase unless one is set) and exits 1
# when the stack has no Pulumi.<stack>.yaml, or when another stack would get the dev stack's public
# passphrase (PULUMI_CONFIG_PASSPHRASE, exported for dev, wins over PULUMI_CONFIG_PASSPHRASE_FILE).
use_stack() {
    export PULUMI_SKIP_UPDATE_CHECK=true
    # dev-only passphrase of Pulumi.dev.yaml; other stacks bring their own.
    if [ "$1" = dev ]; then export PULUMI_CONFIG_PASSPHRASE="${PULUMI_CONFIG_PASSPHRASE-bare-metal-lab}"; fi
    local refusal
    if [ "$1" != dev ] && ! refusal=$(node --import tsx scripts/passphrase.ts refuse-dev "$1"); then
        echo "$me: $refusal" >&2
        exit 1
    fi
    if [ ! -f "Pulumi.$1.yaml" ]; then
        echo "$me: there is no Pulumi.$1.yaml (stacks here: $(ls Pulumi.*.yaml | sed 's/Pulumi\.\(.*\)\.yaml/\1/' | tr '\n' ' '))" >&2
        exit 1
    fi
}
