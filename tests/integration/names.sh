#!/bin/bash
# Names (issue 9 item 5): a fresh store's /etc holds hosts, nsswitch.conf,
# passwd, group and the host's resolv.conf (posix-server/store_file.c,
# etc_files), so a static cage program looks up localhost, root and its
# host name without --host-root; gethostname is the deployment's
# (--hostname), sethostname is root's and changes it for every cage.
. "$(dirname "$0")/lib.sh"
SERVER_ARGS=(--hostname names-test) # no --host-root: the store's own /etc
start_daemons || exit 1
LIND_FS="$LIND_BUILD/lind-fs"
# static: without --host-root no loader or libc.so is in the cage's view
mkdir -p "$T/bin"
"$LIND_CC" -static -O1 -o "$T/bin/names.lind" \
	"$LIND_SRC/tests/integration/progs/names.c" 2>"$T/bin/names.err" || {
	echo "Bail out! names does not build"
	cat "$T/bin/names.err" >&2
	exit 1
}
run() { "$LIND_RUN" "$T/bin/names.lind" "$@" 2>&1; }

expect_eq "localhost and its address, by /etc/hosts" \
	"getaddrinfo localhost: 127.0.0.1
getnameinfo 127.0.0.1: localhost
getaddrinfo ::1: ::1
getaddrinfo ip6-localhost: ::1" \
	"$(run localhost 127.0.0.1 ::1 ip6-localhost)"
expect_eq "root's user and group, by /etc/passwd and /etc/group" \
	"getpwuid 0: root /root
getgrgid 0: root" "$(run -u)"
expect_eq "gethostname: the deployment's --hostname" \
	"gethostname: names-test" "$(run -h)"
expect_eq "sethostname as uid 1000: EPERM, nothing changed" \
	"sethostname: Operation not permitted
gethostname: names-test" "$("$LIND_RUN" --uid 1000 "$T/bin/names.lind" -s x -h 2>&1)"
expect_eq "sethostname as root: the new name ..." \
	"gethostname: renamed" "$(run -s renamed -h)"
expect_eq "... is every cage's, as one UTS namespace" \
	"gethostname: renamed" "$(run -h)"
# getifaddrs and if_nametoindex (netlink and SIOCGIF*, sock_netlink.c):
# the interfaces the cage's --net reaches
expect_eq "--net loopback (the default): lo, up, with its addresses" \
	"lo up 127.0.0.1
lo up ::1
lo up link
if_nametoindex lo: found" "$(run -i)"
expect_eq "--net none: lo, down, without addresses, as a new namespace" \
	"lo down link
if_nametoindex lo: found" "$("$LIND_RUN" --net none "$T/bin/names.lind" -i 2>&1)"
${CC:-cc} -O1 -o "$T/bin/names.native" \
	"$LIND_SRC/tests/integration/progs/names.c" 2>>"$T/bin/names.err"
expect_eq "--net host: every interface, as the host has them" \
	"$("$T/bin/names.native" -i)" \
	"$("$LIND_RUN" --net host "$T/bin/names.lind" -i 2>&1)"
got=$(run no.such.host.invalid)
case "$got" in
"getaddrinfo no.such.host.invalid: "*) ok "an unknown name fails: ${got#*: }" ;;
*) not_ok "an unknown name: got [$got]" ;;
esac
expect_eq "/etc as formatted" \
	"group hosts nsswitch.conf passwd resolv.conf" \
	"$("$LIND_FS" ls /etc 2>&1 | tr '\n' ' ' | sed 's/ $//')"
if [ -r /etc/resolv.conf ]; then
	expect_eq "resolv.conf is the host's, copied when the store was made" \
		"$(cat /etc/resolv.conf)" "$("$LIND_FS" cat /etc/resolv.conf 2>&1)"
else
	expect_eq "resolv.conf says the host had none" \
		"# the host had no /etc/resolv.conf" \
		"$("$LIND_FS" cat /etc/resolv.conf 2>&1)"
fi
