# redirections: files, appends, fds, dup, here-documents
mkdir -p "$WORK" && cd "$WORK" || exit 9
echo one >f
echo two >>f
cat <f
exec 3>g
echo three >&3
echo four 1>&3
exec 3>&-
cat g
ls no-such-file 2>/dev/null || echo "ls failed: $?"
cat no-such-file 2>&1 | sed 's/^cat: //'
{ echo grouped; echo out; } >h
wc -l <h
exec 4<f
read -r first <&4
read -r second <&4
exec 4<&-
echo "read: $first $second"
name=world
cat <<EOF
hello $name $((6 * 7))
EOF
cat <<'EOF'
literal $name
EOF
cat <<-EOF
	tabs stripped
	EOF
: >empty
[ -s empty ] || echo "empty is empty"
set -C
(echo clobber >f) 2>/dev/null || echo "noclobber kept f"
set +C
echo done
