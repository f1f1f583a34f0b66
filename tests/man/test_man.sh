#!/usr/bin/env bash
# Every installed command's man page (docs/man/CMD.1) against its --help:
#   help -> man (strict): every --option and -x the help prints is mentioned
#     in the man page;
#   man -> help: every option the page's OPTIONS section lists (a .TP tag)
#     is in the help, except those in ZC_MAN_ONLY ("cmd:--option ...", for
#     an option documented ahead of its merge; none now).
# Also, where man(1) is installed, the page renders without a warning.
#   tests/man/test_man.sh BUILD_DIR [SOURCE_DIR]
set -euo pipefail
bin=$(cd "${1:?usage: test_man.sh BUILD_DIR [SOURCE_DIR]}" && pwd)
src=${2:-$(cd "$(dirname "$0")/../.." && pwd)}
commands=(chat-node chat-client chat-chaos zchat-check chat-keygen chat-trace chat-relay)
ZC_MAN_ONLY=${ZC_MAN_ONLY:-}
failed=0

bad() { echo "test_man: FAIL: $*" >&2; failed=1; }

# The options in a text: --long ones anywhere, short ones where the help
# lists them ("  -v, --verbose").
help_options() {
  grep -o -- '--[a-z][a-z0-9-]*' | sort -u
}
help_short() {
  grep -oE '^ +-[a-zA-Z],' | tr -d ' ,' | sort -u
}
# roff to plain: \- is -, \e is \, font escapes dropped
man_text() { sed -e 's/\\-/-/g' -e 's/\\f[BIRP]//g' -e 's/\\e/\\/g' "$1"; }
# The tags of the OPTIONS section: the line after each .TP, up to the next .SH
man_tags() {
  man_text "$1" | awk '/^\.SH /{ in_opts = ($2 == "OPTIONS") } in_opts && tp { print; tp = 0 } /^\.TP/{ tp = 1 }' \
    | grep -oE -- '(^|[ "])--?[a-zA-Z][a-z0-9-]*' | tr -d ' "' | sort -u
}

for cmd in "${commands[@]}"; do
  page="$src/docs/man/$cmd.1"
  failed_before=$failed; failed=0
  [ -f "$page" ] || { bad "$cmd: no man page $page"; continue; }
  help=$("$bin/$cmd" --help) || { bad "$cmd --help exited $?"; continue; }
  text=$(man_text "$page")
  n=0
  while read -r opt; do
    [ -n "$opt" ] || continue
    n=$((n + 1))
    grep -q -- "$opt\\b" <<<"$text" || bad "$cmd: $opt is in --help but not in $page"
  done < <(help_options <<<"$help"; help_short <<<"$help")
  [ $n -gt 0 ] || bad "$cmd: no option found in --help"
  while read -r tag; do
    [ -n "$tag" ] || continue
    case " $ZC_MAN_ONLY " in *" $cmd:$tag "*) continue ;; esac
    [ "$tag" = -h ] || [ "$tag" = --help ] && continue   # not every help lists itself
    grep -q -- "$tag\\b" <<<"$help" || bad "$cmd: $page documents $tag, which --help does not have"
  done < <(man_tags "$page")
  for section in NAME SYNOPSIS DESCRIPTION OPTIONS "EXIT STATUS" FILES EXAMPLES "SEE ALSO"; do
    grep -q "^\.SH \"\?$section\"\?\$" "$page" || bad "$cmd: $page has no $section section"
  done
  if command -v man >/dev/null; then
    warn=$(LC_ALL=C.UTF-8 MANROFFSEQ='' MANWIDTH=80 man --warnings -E UTF-8 -l -Tutf8 -Z "$page" 2>&1 >/dev/null) || true
    [ -z "$warn" ] || bad "$cmd: $page renders with warnings: $warn"
  fi
  [ $failed = 0 ] && echo "test_man: $cmd: $n options in --help, all in $cmd.1, and no other"
  [ $failed_before = 0 ] || failed=1
done
exit $failed
