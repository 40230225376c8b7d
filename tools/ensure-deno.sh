#!/bin/sh
# Prints the path of a Deno binary that is at least the pinned version.
#
# Uses `deno` from PATH when it is new enough; otherwise installs the pinned
# version from npm into .deno/ at the project root (git-ignored) and prints that.
# A fresh machine needs only sh, npm and node. All progress goes to stderr so the
# one line on stdout can be captured by make and by the ./gemini launcher.
set -eu

PINNED=2.9.6
root=$(CDPATH='' cd -- "$(dirname -- "$0")/.." && pwd)

# version_at_least A B: true when version A >= version B.
version_at_least() {
  [ "$(printf '%s\n%s\n' "$2" "$1" | sort -V | head -n 1)" = "$2" ]
}

if command -v deno >/dev/null 2>&1; then
  have=$(deno --version 2>/dev/null | head -n 1 | awk '{print $2}')
  if [ -n "$have" ] && version_at_least "$have" "$PINNED"; then
    command -v deno
    exit 0
  fi
fi

find_local() {
  for candidate in \
    "$root/.deno/node_modules/deno/deno" \
    "$root"/.deno/node_modules/@deno/*/deno \
    "$root"/.deno/node_modules/@deno/*/deno.exe; do
    if [ -x "$candidate" ] && "$candidate" --version >/dev/null 2>&1; then
      echo "$candidate"
      return 0
    fi
  done
  return 1
}

if ! find_local >/dev/null 2>&1; then
  echo "ensure-deno: installing deno@$PINNED from npm into .deno/" >&2
  mkdir -p "$root/.deno"
  (cd "$root/.deno" && npm install --no-audit --no-fund --loglevel=error "deno@$PINNED" >&2)
fi
find_local || {
  echo "ensure-deno: could not install deno@$PINNED (is npm reachable?)" >&2
  exit 1
}
