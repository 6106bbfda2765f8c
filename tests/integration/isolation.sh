#!/bin/bash
# A cage sees only the virtual filesystem: host files are not there, and
# what it creates never appears on the host.
. "$(dirname "$0")/lib.sh"
start_daemons || exit 1
build_tool

secret="/tmp/lind-host-secret-$$"
echo "host only" >"$secret"
expect_eq "a native program sees the host file" \
	"probe $secret: opened" "$("$TOOL_NATIVE" probe "$secret")"
expect_eq "a cage does not see a host file" \
	"probe $secret: ENOENT" "$(cage probe "$secret")"
expect_eq "a cage does not see /etc/shadow (--host-root binds a filtered /etc)" \
	"probe /etc/shadow: ENOENT" "$(cage probe /etc/shadow)"
expect_eq "... nor /root" "probe /root: ENOENT" "$(cage probe /root)"
rm -f "$secret"

mine="/tmp/lind-cage-file-$$"
expect_eq "a cage creates a file" "wrote $mine" "$(cage write "$mine" caged)"
check "the cage's file is not on the host" test ! -e "$mine"
expect_eq "the cage's file is in the virtual filesystem" \
	"caged" "$(cage cat "$mine")"
check "the store holds the file's bytes" \
	grep -rqs caged "$LIND_STORE"
