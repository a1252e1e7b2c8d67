# shellcheck shell=bash disable=SC2154,SC2034 # `me` is the sourcing script's; parse_args sets its variables for it
# Sourced by deploy.sh and stack.sh (set `me` first): the options, checks and settings every stack
# command shares. The state's place is Pulumi.yaml's `backend.url`, so plain `pulumi` reaches the
# same stacks; this only adds the dev stack's public passphrase and a stack that exists.

# parse_args ARG…: the options of every stack command. Sets `stack` (--stack S or -s S; dev when not
# given), `yes` (--yes or -y), `force` (--force, for a command that sets takes_force=true first;
# otherwise it goes to pulumi like any other) and `extra` (the rest, passed on to pulumi).
parse_args() {
    stack=dev
    yes=false
    force=false
    extra=()
    while [ $# -gt 0 ]; do
        case "$1" in
        --yes | -y) yes=true ;;
        --force) if [ "${takes_force:-false}" = true ]; then force=true; else extra+=("$1"); fi ;;
        --stack | -s) stack=${2:?--stack needs a stack name}; shift ;;
        *) extra+=("$1") ;;
        esac
        shift
    done
}

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
        # shellcheck disable=SC2012 # stack file names are plain names
        echo "$me: there is no Pulumi.$1.yaml (stacks here: $(ls Pulumi.*.yaml | sed 's/Pulumi\.\(.*\)\.yaml/\1/' | tr '\n' ' '))" >&2
        exit 1
    fi
}
