#!/usr/bin/env bash
# Says whether the tarball on the host differs from the local one (`changed: …`) before it is
# copied: the copy itself (SFTP) cannot tell, and converge mode copies on every run.
# Inputs: ARTIFACT_PATH (on the host), ARTIFACT_SHA256 (of the local tarball).
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
have=$($SUDO sha256sum "$ARTIFACT_PATH" 2>/dev/null | cut -d' ' -f1 || true)
[ "$have" = "$ARTIFACT_SHA256" ] || changed "copied $ARTIFACT_PATH"
