#!/usr/bin/env bash
# On the server, before an agent's k3s upgrade (k3s-probe.sh's facts first): marks the node with the
# annotation K3S_MARK and drains it (`kubectl drain` cordons it and evicts its pods through the API,
# which honours their PodDisruptionBudgets; DaemonSets stay). Nothing when the agent has no k3s yet
# or already the wanted version.
# Inputs: K3S_VERSION, K3S_MARK (the annotation's key), K3S_NODE, K3S_INSTALLED.
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
want=$K3S_VERSION
if [ -n "$K3S_INSTALLED" ] && [ "$K3S_INSTALLED" != "$want" ]; then
  $SUDO k3s kubectl annotate --overwrite node "$K3S_NODE" "$K3S_MARK=$want" >/dev/null
  $SUDO k3s kubectl drain "$K3S_NODE" --ignore-daemonsets --delete-emptydir-data >/dev/null
  changed "drained $K3S_NODE for its k3s upgrade from $K3S_INSTALLED to $want"
fi
