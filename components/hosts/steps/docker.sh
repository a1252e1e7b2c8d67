#!/usr/bin/env bash
# Docker: installed from the distribution (Fedora's `docker`, Debian's `docker.io`), enabled and started.
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
if ! command -v docker >/dev/null 2>&1; then
  if command -v dnf >/dev/null 2>&1; then $SUDO dnf -q -y install docker >/dev/null; else DEBIAN_FRONTEND=noninteractive $SUDO apt-get -qq -y install docker.io >/dev/null; fi
  changed "installed docker"
fi
if systemd_running; then
  systemctl is-enabled --quiet docker || { $SUDO systemctl enable docker >/dev/null 2>&1; changed "enabled docker"; }
  systemctl is-active --quiet docker || { $SUDO systemctl start docker; changed "started docker"; }
else
  echo "note: systemd is not running on $(hostname): docker installed, not started"
fi
