#!/usr/bin/env bash
# An agent's facts before its k3s step, printed as the shell assignments the server's drain and
# uncordon steps start with: K3S_NODE (its node: the host name, lower-cased, as k3s names a node it
# is not told a name for) and K3S_INSTALLED (its k3s version, empty when there is none). An upgrade
# k3s does not support (a downgrade, a skipped minor version) is refused here, before the node is drained.
# Inputs: K3S_VERSION.
# shellcheck source=components/hosts/steps/as-root.sh
. "$(dirname "$0")/as-root.sh"
# shellcheck source=components/hosts/steps/k3s.sh
. "$(dirname "$0")/k3s.sh"
want=$K3S_VERSION
if [ -n "$installed" ] && [ "$installed" != "$want" ]; then k3s_may_upgrade "$installed" "$want"; fi
printf "K3S_NODE='%s'\nK3S_INSTALLED='%s'\n" "$(uname -n | tr '[:upper:]' '[:lower:]')" "$installed"
