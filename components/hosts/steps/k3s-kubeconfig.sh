#!/usr/bin/env bash
# Prints the k3s server's kubeconfig, pointed at its address instead of 127.0.0.1.
# Inputs: K3S_SERVER_ADDRESS.
# shellcheck source=components/hosts/steps/as-root.sh
. "$(dirname "$0")/as-root.sh"
$SUDO cat /etc/rancher/k3s/k3s.yaml | sed "s#https://127.0.0.1:6443#https://$K3S_SERVER_ADDRESS:6443#"
