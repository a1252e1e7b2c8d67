# shellcheck shell=bash disable=SC2034 # SUDO is for the step scripts that source this file
# Strict mode, and $SUDO for the commands that need root when the SSH user is not root.
set -eu
SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo -n"
