#!/usr/bin/env bash
# Packages: detects dnf or apt-get, points it at a mirror when one is given, upgrades every package
# (PKG_UPDATE=1), installs the missing ones, and restarts the services that exist when anything
# changed.
# Inputs: PKG_UPDATE (1 or 0), PKG_INSTALL and PKG_RESTART (names, separated by spaces),
# PKG_APT_MIRROR (an apt sources line) and PKG_DNF_MIRROR (a dnf baseurl), each empty for none.
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
touched=0
if command -v dnf >/dev/null 2>&1; then
  if [ -n "$PKG_DNF_MIRROR" ]; then
    want=$(printf '[bare-metal-platform]\nname=bare-metal-platform mirror\nbaseurl=%s\ngpgcheck=0\nenabled=1' "$PKG_DNF_MIRROR")
    if [ "$(cat /etc/yum.repos.d/bare-metal-platform.repo 2>/dev/null)" != "$want" ]; then
      printf '%s\n' "$want" | $SUDO tee /etc/yum.repos.d/bare-metal-platform.repo >/dev/null; changed "dnf repository"
    fi
  fi
  if [ "$PKG_UPDATE" -eq 1 ]; then
    set +e; $SUDO dnf -q -y check-update >/dev/null; rc=$?; set -e
    if [ "$rc" -eq 100 ]; then $SUDO dnf -q -y upgrade >/dev/null; changed "packages upgraded"; touched=1
    elif [ "$rc" -ne 0 ]; then echo "dnf check-update failed with $rc" >&2; exit 1; fi
  fi
  # shellcheck disable=SC2086 # names, without spaces or glob characters (config/hosts.ts)
  for pkg in $PKG_INSTALL; do
    rpm -q "$pkg" >/dev/null 2>&1 || { $SUDO dnf -q -y install "$pkg" >/dev/null; changed "installed $pkg"; touched=1; }
  done
elif command -v apt-get >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  if [ -n "$PKG_APT_MIRROR" ]; then
    if [ "$(cat /etc/apt/sources.list.d/bare-metal-platform.list 2>/dev/null)" != "$PKG_APT_MIRROR" ]; then
      printf '%s\n' "$PKG_APT_MIRROR" | $SUDO tee /etc/apt/sources.list.d/bare-metal-platform.list >/dev/null; changed "apt source"
    fi
  fi
  $SUDO apt-get -qq update
  if [ "$PKG_UPDATE" -eq 1 ]; then
    n=$($SUDO apt-get -s upgrade | grep -c '^Inst ' || true)
    if [ "$n" -gt 0 ]; then $SUDO apt-get -qq -y upgrade >/dev/null; changed "$n packages upgraded"; touched=1; fi
  fi
  # shellcheck disable=SC2086 # names, without spaces or glob characters (config/hosts.ts)
  for pkg in $PKG_INSTALL; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || { $SUDO apt-get -qq -y install "$pkg" >/dev/null; changed "installed $pkg"; touched=1; }
  done
else
  echo "$(hostname): neither dnf nor apt-get found (expected a Fedora/RHEL or Debian/Ubuntu host)" >&2; exit 1
fi
if [ "$touched" -eq 1 ] && systemd_running; then
  # shellcheck disable=SC2086 # names, without spaces or glob characters (config/hosts.ts)
  for svc in $PKG_RESTART; do
    if systemctl cat "$svc.service" >/dev/null 2>&1; then $SUDO systemctl restart "$svc"; changed "restarted $svc"; fi
  done
fi
