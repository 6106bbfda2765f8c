#!/bin/bash
# bash completion (data/bash-completion/lind): what a tab offers, read
# from the built tools.
. "$LIND_SRC/tests/integration/lib.sh"

BC=/usr/share/bash-completion/bash_completion
if [ ! -r "$BC" ]; then
	echo "ok 1 # SKIP bash-completion missing (apt-get install bash-completion)"
	tap_n=1
	exit
fi
PATH="$LIND_BUILD:$LIND_BUILD/posix-server:$LIND_BUILD/nacl-relay:$PATH"

# offered WORD...: what completing the last word offers, one line
offered() {
	bash --norc -c '
		. "$1"; . "$2"; shift 2
		compopt() { :; } # outside a real completion it only complains
		COMP_WORDS=("$@"); COMP_CWORD=$(($# - 1))
		COMP_LINE="$*"; COMP_POINT=${#COMP_LINE}
		complete -p "$1" >/dev/null 2>&1 || __load_completion "$1"
		fn=$(complete -p "$1" | sed -E "s/.* -F ([^ ]+) .*/\1/")
		"$fn" "$1" "${@: -1}" "${@: -2:1}"
		printf "%s\n" "${COMPREPLY[@]}" | sort | tr "\n" " "' \
		_ "$BC" "$LIND_SRC/data/bash-completion/lind" "$@"
}

# offers DESCRIPTION EXPECTED-WORDS -- WORD...: each expected word offered
offers() {
	local what=$1 want=$2 got w miss=
	shift 3
	got=" $(offered "$@")"
	for w in $want; do
		[[ $got == *" $w "* ]] || miss="$miss $w"
	done
	expect_eq "$what" "" "${miss# }${miss:+ (offered:$got)}"
}

offers "lind-fs: its commands" "cp ls cat mkdir rm --runtime-dir" -- lind-fs ""
offers "lind-fs rm: its options" "-r -f" -- lind-fs rm -
offers "lind-fs after --runtime-dir: commands" "cp ls" -- lind-fs --runtime-dir /tmp ""
offers "lind-run: its options" "--deny --bind --runtime-dir --allow-list --net --publish" -- lind-run --
offers "lind-run --deny: the classes" "file" -- lind-run --deny fi
offers "lind-run --deny: after a comma" "file,net" -- lind-run --deny file,n
offers "lind-run: PROGRAM is a command" "echo" -- lind-run ech
offers "lind-run: PROGRAM after --publish SPEC" "echo" -- lind-run --publish 8080:80 ech
offers "lind-run: PROGRAM after --uid N" "echo" -- lind-run --uid 1000 ech
offers "posix-server: its options" "--host-root --hostname" -- posix-server --ho
offers "posix-server --limit: the limit names" "host-fds=" -- posix-server --limit host
offers "nacl-relay --limit: the limit names" "cages-per-uid=" -- nacl-relay --limit cages-p
offers "posix-server: --listen and --secret" "--listen" -- posix-server --li
offers "nacl-relay: --server and --secret" "--server --secret" -- nacl-relay --se
offers "nacl-relay --server: a tcp:// URL" "tcp://" -- nacl-relay --server t
offers "lind-trace: its options" "-n --stats --runtime-dir --help -p -f -e --cage-cmd -T --json -c -C --top -w --read" -- lind-trace -
offers "lind-trace -e: what it selects" "trace= status=failed" -- lind-trace -e ""
