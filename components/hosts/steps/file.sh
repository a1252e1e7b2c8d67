#!/usr/bin/env bash
# Writes FILE_CONTENT (and a last newline) to FILE_PATH (relative to the user's home, or absolute)
# when it differs or is not a file.
# Inputs: FILE_PATH, FILE_CONTENT (without its last newline).
# shellcheck source=components/hosts/steps/prelude.sh
. "$(dirname "$0")/prelude.sh"
path=$FILE_PATH
want=$FILE_CONTENT
if [ "$(cat "$path" 2>/dev/null || true)" != "$want" ] || [ ! -f "$path" ]; then
  mkdir -p "$(dirname "$path")" && printf '%s\n' "$want" > "$path"; changed "wrote $path"
fi
