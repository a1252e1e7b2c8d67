# shellcheck shell=bash
# What the k3s steps share. `installed`: the k3s version on the host (`k3s --version`'s first line),
# empty when there is no k3s; `k3s_may_upgrade FROM TO`, which refuses what k3s and Kubernetes do not
# support: a downgrade, and a step of more than one minor version; and `k3s_converge`.
installed=""
if command -v k3s >/dev/null 2>&1; then
  installed=$(k3s --version 2>/dev/null | sed -n 's/^k3s version \(v[^ ]*\).*/\1/p' | head -n 1)
  [ -n "$installed" ] || { echo "$(uname -n): k3s --version names no version (expected a first line \"k3s version v…\")" >&2; exit 1; }
fi
k3s_may_upgrade() {
  if [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" != "$2" ]; then
    echo "$(uname -n): k3s $1 is installed, newer than hosts.k3s.version $2 (k3s does not downgrade: set hosts.k3s.version to $1 or later)" >&2; exit 1
  fi
  from=$(printf '%s' "$1" | sed -n 's/^v1\.\([0-9][0-9]*\)\..*/\1/p'); to=$(printf '%s' "$2" | sed -n 's/^v1\.\([0-9][0-9]*\)\..*/\1/p')
  if [ -n "$from" ] && [ -n "$to" ] && [ "$to" -gt $((from + 1)) ]; then
    echo "$(uname -n): k3s $1 is installed; hosts.k3s.version $2 skips a minor version (Kubernetes upgrades one minor version at a time: set hosts.k3s.version to a v1.$((from + 1)) release, pulumi up, then $2)" >&2; exit 1
  fi
}

# k3s_converge ROLE VERSION: installs k3s with `install_k3s` (the step's installer command line) when
# there is none; when another version than VERSION is installed, upgrades it the way k3s is upgraded,
# by running the installer again (what k3s does not support refused first), then runs `k3s_upgraded`
# (what the step waits for after an upgrade). Nothing when VERSION is installed.
k3s_converge() {
  if [ -z "$installed" ]; then
    install_k3s
    changed "installed k3s $1 $2"
  elif [ "$installed" != "$2" ]; then
    k3s_may_upgrade "$installed" "$2"
    install_k3s
    k3s_upgraded
    changed "upgraded k3s $1 $installed to $2"
  fi
}
