#!/usr/bin/env bash
# k3s agent (endpoints): installed when absent, upgraded by the installer run again with the new
# version when another one is installed (the server's drain step has drained its node by then).
# Inputs: K3S_VERSION, K3S_INSTALL_URL, K3S_SERVER_ADDRESS, K3S_TOKEN (the join token: set on
# stdin, a secret, never in a command line).
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
# shellcheck source=components/hosts/steps/k3s.sh
. "$(dirname "$0")/k3s.sh"
want=$K3S_VERSION
install_k3s() {
  curl -sfL "$K3S_INSTALL_URL" | $SUDO env INSTALL_K3S_VERSION="$want" K3S_URL="https://$K3S_SERVER_ADDRESS:6443" K3S_TOKEN="$K3S_TOKEN" sh -s - agent >/dev/null
}
k3s_upgraded() { :; }
k3s_converge agent "$want"
