#!/bin/bash
# Man pages (man/*): each names exactly the options its tool's --help
# prints, so they cannot drift, and each renders without a warning.
#
# From --help: every option (-x, --xx), every LIND_* variable, and the
# name starting each entry line (lind-fs commands, limit names: indented
# by fewer than 12 spaces, the name followed by two spaces, an option in
# brackets, a placeholder or a number; a continuation line goes on in
# lower case): each must appear in the page as a word.  From the page: every option and
# entry name in the tags (.TP) of its OPTIONS, COMMANDS and LIMITS
# sections must appear in --help.  lind-cc has no --help of its own (its
# --help is the compiler's): its "help" is what scripts/lind-cc.in acts
# on, the options that stop it adding client-libc and the variables it
# reads.
. "$LIND_SRC/tests/integration/lib.sh"

MAN="$LIND_SRC/man"
declare -A TOOL=(
	[posix-server.8]="$LIND_BUILD/posix-server/posix-server"
	[nacl-relay.8]="$LIND_BUILD/nacl-relay/nacl-relay"
	[lind-run.1]="$LIND_BUILD/lind-run"
	[lind-fs.1]="$LIND_BUILD/lind-fs"
	[lind-trace.1]="$LIND_BUILD/lind-trace"
	[lind-cc.1]=lind-cc
)

# roff source to plain words: font changes and escapes gone, \- a hyphen
roff_text() {
	sed -e 's/\\f[BIRP]//g' -e 's/\\f([A-Z][A-Z]//g' -e 's/\\-/-/g' \
		-e 's/\\&//g' -e 's/\\e/\\/g' -e 's/\\(em/ /g' "$@"
}

options_in() { # words starting with - or --, from stdin
	grep -oE '(^|[^A-Za-z0-9_-])--?[A-Za-z][A-Za-z0-9-]*' | sed 's/^[^-]*//'
}

help_words() { # TOOL: what its --help names, one per line
	if [ "$1" = lind-cc ]; then
		local src="$LIND_SRC/scripts/lind-cc.in"
		grep 'mode=none ;;' "$src" | options_in
		grep -oE '\$\{?LIND_[A-Z_]+' "$src" | tr -d '${'
		return
	fi
	local help
	help=$("$1" --help) || return 1
	options_in <<<"$help"
	grep -oE 'LIND_[A-Z_]+' <<<"$help"
	sed -nE 's/^ {2,11}([a-z][a-z0-9-]*)( +[[A-Z0-9]|  |$).*/\1/p' <<<"$help"
}

page_tags() { # PAGE: option and entry names of its checked sections' tags
	roff_text "$1" | awk '
		/^\.SH/ { sec = $0; next }
		sec !~ /OPTIONS|COMMANDS|LIMITS/ { next }
		/^\.T[PQ]/ { tag = 1; next }
		tag { tag = 0; sub(/^\.[A-Z]+ /, ""); gsub(/"/, ""); print }' |
		while read -r line; do
			options_in <<<"$line"
			[[ $line =~ ^([a-z][A-Za-z0-9_-]*)( |$) ]] && echo "${BASH_REMATCH[1]}"
		done
}

has_word() { # TEXT WORD: WORD appears in TEXT, not as part of a longer one
	grep -qE -- "(^|[^A-Za-z0-9_-])$2([^A-Za-z0-9_-]|\$)" <<<"$1"
}

missing() { # TEXT WORD...: the words not in TEXT
	local w out=
	for w in "${@:2}"; do
		has_word "$1" "$w" || out="$out $w"
	done
	echo "${out# }"
}

for page in "${!TOOL[@]}"; do
	tool=${TOOL[$page]}
	if ! words=$(help_words "$tool" | sort -u) || [ -z "$words" ]; then
		not_ok "$page: ${tool##*/} --help prints nothing"
		continue
	fi
	text=$(roff_text "$MAN/$page")
	miss=$(missing "$text" $words)
	expect_eq "$page names all that ${tool##*/} --help names" "" "$miss"
	if [ "$tool" = lind-cc ]; then
		help=$words
	else
		help=$("$tool" --help)
	fi
	tags=$(page_tags "$MAN/$page" | sort -u)
	[ -n "$tags" ] || not_ok "$page: no tags in OPTIONS, COMMANDS or LIMITS"
	miss=$(missing "$help" $tags)
	expect_eq "${tool##*/} --help names all that $page's options name" "" "$miss"
	# .TH NAME SECTION matches the file name (man -k, man's lookup)
	th=$(awk '/^\.TH/ {print tolower($2) "." $3; exit}' "$MAN/$page")
	expect_eq "$page: .TH names the page" "$page" "$th"
done

# Every page in man/ is one of the above (a new page gets its tool here).
for f in "$MAN"/*; do
	[ -n "${TOOL[${f##*/}]:-}" ] || not_ok "man/${f##*/} has no tool in manpages.sh"
done

if ! command -v groff >/dev/null; then
	tap_n=$((tap_n + 1))
	echo "ok $tap_n # SKIP groff missing: pages not rendered (apt-get install groff-base)"
	exit
fi
for page in "${!TOOL[@]}"; do
	warn=$(groff -man -Tutf8 -ww -z "$MAN/$page" 2>&1)
	expect_eq "$page renders without warnings (groff -ww)" "" "$warn"
	# the NAME line whatis and apropos index
	if command -v lexgrog >/dev/null; then
		check "$page: NAME line parses (lexgrog)" quiet lexgrog "$MAN/$page"
	fi
done
