#!/usr/bin/env bash
# Runs the artifact's command in a throw-away container with the tarball mounted read-only (with an
# init, so that the step's time limit stops the command inside too); prints its output and one more
# newline, because the command provider drops the last one of every stdout (the output then arrives
# exactly as the command printed it).
# Inputs: ARTIFACT_CONTAINER, ARTIFACT_PATH (on the host), ARTIFACT_MOUNT (in the container),
# ARTIFACT_IMAGE, ARTIFACT_COMMAND (run by `sh -c`).
# shellcheck source=components/hosts/steps/as-root.sh
. "$(dirname "$0")/as-root.sh"
$SUDO docker rm -f "$ARTIFACT_CONTAINER" >/dev/null 2>&1 || true
$SUDO docker run --rm --init --name "$ARTIFACT_CONTAINER" -v "$ARTIFACT_PATH:$ARTIFACT_MOUNT:ro" "$ARTIFACT_IMAGE" sh -c "$ARTIFACT_COMMAND"
echo
