#!/usr/bin/env bash
# k3s server (first orchestrator): servicelb and traefik off, so MetalLB and ingress-nginx own those
# jobs. Installed when absent; when another version is installed, upgraded the way k3s is, by running
# its installer again with the new INSTALL_K3S_VERSION (a downgrade or a skipped minor version
# refused), then waited for until its API answers, before any agent is touched.
# Inputs: K3S_VERSION, K3S_INSTALL_URL (the install script), K3S_SERVER_ADDRESS (a name in its certificate).
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
# shellcheck source=components/hosts/steps/k3s.sh
. "$(dirname "$0")/k3s.sh"
want=$K3S_VERSION
# The installer's command line: the same for an install and an upgrade (the installer rewrites the unit from it).
install_k3s() {
  curl -sfL "$K3S_INSTALL_URL" | $SUDO env INSTALL_K3S_VERSION="$want" sh -s - server --disable servicelb --disable traefik --write-kubeconfig-mode 600 --tls-san "$K3S_SERVER_ADDRESS" >/dev/null
}
k3s_upgraded() {
  local i=0
  until $SUDO k3s kubectl get --raw /readyz >/dev/null 2>&1; do
    i=$((i + 1)); [ "$i" -lt 120 ] || { echo "$(uname -n): the k3s server did not answer /readyz within 120 s of its upgrade to $want (journalctl -u k3s)" >&2; exit 1; }
    sleep 1
  done
}
k3s_converge server "$want"
