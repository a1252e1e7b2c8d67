#!/usr/bin/env bash
# What the command provider runs for a step: `bash -s` reading this program on stdin, the step's
# script in place of the here-document's one line. It bounds that script with `timeout` on the host
# (the provider enforces no customTimeouts), so a hung step fails in time with a message naming the
# host, the step and the limit, and a failed one ends with a line naming both; the engine's error
# then quotes "bash -s", not the whole script. What the script ran with sudo outlives `timeout`'s
# signals (the user's `timeout` may not signal root's processes; sudo ignores signals from its own
# process group) and would keep the SSH session open: so every other process of the session but
# this program and its ancestors is then killed (as root when the user has sudo), and
# STEP_CONTAINER, when set, removed (what the step leaves behind: the artifact's container).
# Inputs: STEP_NAME (`host "vm1" (10.231.1.2:22) step packages`), STEP_LIMIT (seconds), STEP_CONTAINER.
SUDO=""; [ "$(id -u)" -eq 0 ] || { sudo -n true 2>/dev/null && SUDO="sudo -n"; }
timeout -k 5 "$STEP_LIMIT" bash -s <<'BMP_STEP_END'
BMP_STEP_SCRIPT
BMP_STEP_END
rc=$?
if [ "$rc" -eq 124 ] || [ "$rc" -eq 137 ]; then
  keep=" $$ "; p=$$; while [ "$p" -gt 1 ]; do p=$(sed 's/.*) //' "/proc/$p/stat" | cut -d' ' -f2); keep="$keep$p "; done
  sid=$(sed 's/.*) //' /proc/$$/stat | cut -d' ' -f4)
  # shellcheck disable=SC2016 # expanded by the shell run as root
  $SUDO sh -c 'for d in /proc/[0-9]*; do p=${d#/proc/}; case "$1 $$ $PPID " in *" $p "*) continue ;; esac; [ "$(sed "s/.*) //" "$d/stat" 2>/dev/null | cut -d" " -f4)" = "$2" ] && kill -KILL "$p" 2>/dev/null; done; true' sh "$keep" "$sid"
  if [ -n "$STEP_CONTAINER" ]; then $SUDO docker rm -f "$STEP_CONTAINER" >/dev/null 2>&1 || true; fi
  echo "$STEP_NAME: stopped after the limit of ${STEP_LIMIT}s (hosts.reach.commandTimeoutSeconds)" >&2
elif [ "$rc" -ne 0 ]; then echo "$STEP_NAME failed (exit $rc)" >&2; fi
exit "$rc"
