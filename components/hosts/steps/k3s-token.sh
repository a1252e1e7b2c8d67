#!/usr/bin/env bash
# Prints the k3s server's join token.
# shellcheck source=components/hosts/steps/as-root.sh
. "$(dirname "$0")/as-root.sh"
$SUDO cat /var/lib/rancher/k3s/server/node-token
