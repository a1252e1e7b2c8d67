#!/usr/bin/env bash
# Reachability, run where `pulumi up` runs: bounded TCP dials to the host's SSH port that end in one
# message telling "connection refused" (the host is up, sshd is not) from "timed out" (the host or
# the network is down).
# Inputs: HOST_NAME, HOST_ADDRESS, HOST_PORT, REACH_ATTEMPTS, REACH_DIAL_SECONDS.
set -u
name=$HOST_NAME; addr=$HOST_ADDRESS; port=$HOST_PORT; attempts=$REACH_ATTEMPTS; wait=$REACH_DIAL_SECONDS
last=""; i=0
while [ "$i" -lt "$attempts" ]; do
  i=$((i + 1))
  out=$(timeout "$wait" bash -c "exec 3<>/dev/tcp/$addr/$port" 2>&1); rc=$?
  if [ "$rc" -eq 0 ]; then echo "reachable: host \"$name\" ($addr:$port)"; exit 0; fi
  case "$out" in
    *"Connection refused"*) last=refused ;;
    *"No route to host"*|*"Network is unreachable"*) last=unreachable ;;
    *) if [ "$rc" -eq 124 ]; then last=timeout; else last="failed: $out"; fi ;;
  esac
  if [ "$i" -lt "$attempts" ]; then sleep 1; fi
done
case "$last" in
  refused) why="connection refused: the host answers but nothing listens on port $port (is sshd running?)" ;;
  timeout) why="timed out: no answer within ${wait}s per attempt (is the host up, and the network to it?)" ;;
  unreachable) why="timed out: no route to host (is the host up, and the network to it?)" ;;
  *) why="$last" ;;
esac
echo "host \"$name\" ($addr:$port) is not reachable after $attempts attempts: $why" >&2
exit 1
