#!/usr/bin/env bash
# `sources.sh FILE…`: prints the path of each source tarball FILE (a name of SOURCES.md's table, e.g.
# nginx-1.27.1.tar.gz), one a line, each checked against the sha256 that table gives for it. These are
# the third-party sources no registry here carries (ingress-nginx and its nginx, MinIO, charts).
#
# Where a tarball is looked for, first found wins:
#   $BMP_SOURCES                        a folder with the tarballs and their SOURCES.md
#   <repository>/../shared/sources      the folder the project's developers share
#   ~/.cache/bare-metal-platform/sources  a copy of each tarball once checked (so a later run of a
#                                       fresh clone on the same machine needs no folder above)
# A tarball found in a folder is used only when its sha256 is the table's. One found nowhere is made
# from its public origin where git reaches it: `git archive` of the table's commit ("ref" column),
# checked by that commit id (git's own hash) — a subset tarball's bytes cannot be remade, so there the
# table's sha256 is not comparable and the difference is said.
#
# Also sourced by the image scripts: `source_tarball FILE` prints one path, or dies.
set -euo pipefail

_sources_here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
_sources_root=$(cd "$_sources_here/../.." && pwd)
_sources_cache=${BMP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/bare-metal-platform}/sources

# The folder holding SOURCES.md: BMP_SOURCES, else the shared one, else the cache's copy.
sources_table() {
    local d
    for d in "${BMP_SOURCES:-}" "$_sources_root/../shared/sources" "$_sources_cache"; do
        [ -n "$d" ] && [ -f "$d/SOURCES.md" ] && { echo "$d/SOURCES.md"; return 0; }
    done
    return 1
}

# sources_field FILE COLUMN: the table's cell (1-based column of `| file | project | ref | … | sha256 |`).
sources_field() {
    local table
    table=$(sources_table) || { echo "sources: no SOURCES.md (set BMP_SOURCES to the sources folder)" >&2; return 1; }
    awk -F'|' -v f="$1" -v c="$(($2 + 1))" '{ g = $2; gsub(/ /, "", g) } g == f { v = $c; gsub(/^ +| +$|`/, "", v); print v; exit }' "$table"
}

source_tarball() {
    local file=$1 want d got
    want=$(sources_field "$file" 7) || exit 1
    [[ $want =~ ^[0-9a-f]{64}$ ]] || { echo "sources: $file is not in SOURCES.md (or has no sha256 there)" >&2; exit 1; }
    for d in "${BMP_SOURCES:-}" "$_sources_root/../shared/sources" "$_sources_cache"; do
        [ -n "$d" ] && [ -f "$d/$file" ] || continue
        got=$(sha256sum "$d/$file" | cut -d' ' -f1)
        if [ "$got" != "$want" ]; then
            echo "sources: $d/$file has sha256 $got, SOURCES.md says $want: not used" >&2
            continue
        fi
        if [ "$d" != "$_sources_cache" ]; then
            mkdir -p "$_sources_cache"
            if ! cmp -s "$d/$file" "$_sources_cache/$file"; then
                cp "$d/$file" "$_sources_cache/$file.tmp" && mv -f "$_sources_cache/$file.tmp" "$_sources_cache/$file"
            fi
            cmp -s "$(sources_table)" "$_sources_cache/SOURCES.md" || cp "$(sources_table)" "$_sources_cache/SOURCES.md"
        fi
        echo "$d/$file"
        return 0
    done
    source_from_origin "$file" "$want"
}

# The table's project (owner/name) and commit, archived by git as the table says the tarball was made.
source_from_origin() {
    local file=$1 want=$2 project ref commit prefix tmp got
    project=$(sources_field "$file" 2)
    ref=$(sources_field "$file" 3)
    commit=$(grep -oE '[0-9a-f]{40}' <<<"$ref" | head -1)
    [ -n "$project" ] && [ -n "$commit" ] || { echo "sources: $file not found and SOURCES.md names no commit for it" >&2; exit 1; }
    prefix=${file%.tar.gz}
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/bmp-source-XXXXXX")
    if ! git -C "$tmp" init -q repo ||
        ! git -C "$tmp/repo" fetch -q --depth 1 "https://github.com/$project" "$commit" 2>/dev/null; then
        rm -rf "$tmp"
        echo "sources: $file is in none of the source folders and $project could not be fetched; set BMP_SOURCES to a folder with it" >&2
        exit 1
    fi
    mkdir -p "$_sources_cache"
    git -C "$tmp/repo" archive --format=tar --prefix="$prefix/" "$commit" | gzip -n -9 >"$tmp/$file"
    got=$(sha256sum "$tmp/$file" | cut -d' ' -f1)
    [ "$got" = "$want" ] || echo "sources: $file made from $project@$commit has sha256 $got (the table's $want is of a subset)" >&2
    mv "$tmp/$file" "$_sources_cache/$file"
    rm -rf "$tmp"
    echo "$_sources_cache/$file"
}

if [ "${BASH_SOURCE[0]}" = "$0" ]; then
    [ $# -gt 0 ] || { echo "usage: sources.sh FILE…" >&2; exit 2; }
    for f in "$@"; do source_tarball "$f"; done
fi
