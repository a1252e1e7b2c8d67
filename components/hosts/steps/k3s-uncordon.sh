#!/usr/bin/env bash
# On the server, after an agent's k3s step: a node the drain step marked (the annotation K3S_MARK)
# is uncordoned once it reports the wanted version and Ready, and its mark removed — also on a later
# run, when the run that drained it stopped before this step. A node cordoned by hand (no mark)
# stays as it is.
# Inputs: K3S_VERSION, K3S_MARK, K3S_NODE, K3S_INSTALLED.
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
want=$K3S_VERSION
# The mark as a jsonpath: the dots of the key escaped.
mark="{.metadata.annotations.${K3S_MARK//./\\.}}"
if [ -n "$K3S_INSTALLED" ] && [ -n "$($SUDO k3s kubectl get node "$K3S_NODE" --ignore-not-found -o jsonpath="$mark")" ]; then
  i=0
  until [ "$($SUDO k3s kubectl get node "$K3S_NODE" -o jsonpath='{.status.nodeInfo.kubeletVersion} {.status.conditions[?(@.type=="Ready")].status}')" = "$want True" ]; do
    i=$((i + 1)); [ "$i" -lt 300 ] || { echo "node $K3S_NODE did not report k3s $want and Ready within 300 s: it stays cordoned (journalctl -u k3s-agent on its host); the next pulumi up uncordons it once it does" >&2; exit 1; }
    sleep 1
  done
  $SUDO k3s kubectl uncordon "$K3S_NODE" >/dev/null
  $SUDO k3s kubectl annotate node "$K3S_NODE" "$K3S_MARK-" >/dev/null
  changed "uncordoned $K3S_NODE, on k3s $want"
fi
