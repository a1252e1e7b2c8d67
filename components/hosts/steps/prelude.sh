# shellcheck shell=bash
# as-root.sh, plus `changed` (reports a change: the recap reads these lines) and `systemd_running`.
# shellcheck source=components/hosts/steps/as-root.sh
. "$(dirname "$0")/as-root.sh"
changed() { echo "changed: $*"; }
systemd_running() { [ -d /run/systemd/system ]; }
