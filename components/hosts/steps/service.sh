#!/usr/bin/env bash
# The systemd unit that runs the lab's container: written when it differs, then enabled and started
# (restarted when it changed).
# Inputs: SERVICE_NAME (the unit's name, without .service), SERVICE_UNIT (its content, without its last newline).
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
name=$SERVICE_NAME
path=/etc/systemd/system/$name.service
want=$SERVICE_UNIT
fresh=0
if [ "$($SUDO cat "$path" 2>/dev/null || true)" != "$want" ]; then
  printf '%s\n' "$want" | $SUDO tee "$path" >/dev/null; changed "wrote $path"; fresh=1
fi
if systemd_running; then
  if [ "$fresh" -eq 1 ]; then $SUDO systemctl daemon-reload; fi
  systemctl is-enabled --quiet "$name" || { $SUDO systemctl enable "$name" >/dev/null 2>&1; changed "enabled $name"; }
  if ! systemctl is-active --quiet "$name"; then $SUDO systemctl start "$name"; changed "started $name";
  elif [ "$fresh" -eq 1 ]; then $SUDO systemctl restart "$name"; changed "restarted $name"; fi
else
  echo "note: systemd is not running on $(hostname): $path written, not started"
fi
