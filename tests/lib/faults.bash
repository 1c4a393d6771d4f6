# What the fault tests break (source after tests/lib.sh): the network between the archive and
# its clients, and the archive's disk. Both are undone at exit, after the test's processes have
# stopped. Interface and namespace names are global on the machine: run these tests one at a
# time (make check does; by hand, under the shared heavy-test lock).
#
#   setup_netns                  a network namespace NS joined to the host by a veth pair: the
#                                host side HOST_IF (HOST_IP), the namespace side NS_IF (NS_IP),
#                                a /30 derived from the test's pid; the archive runs inside it
#                                (start_archive) once ARCHIVE_NETNS=$NS
#   start_archive_in_netns         setup_netns, setup_pki for an archive at NS_IP, and the archive
#                                started inside the namespace; the script ends if any fails
#   mount_tmpfs DIR SIZE         a small file system on DIR
#   fill_disk DIR                a filler file in DIR until its file system is full

_netns=
setup_netns() {
	local a=$((100 + $$ % 100)) b=$((($$ / 100) % 256))
	NS=crf$$
	HOST_IF=crh$$ NS_IF=crn$$
	HOST_IP=10.$a.$b.1 NS_IP=10.$a.$b.2
	ip netns add "$NS" || return 1
	_netns=$NS
	at_exit _remove_netns
	ip link add "$HOST_IF" type veth peer name "$NS_IF" &&
		ip link set "$NS_IF" netns "$NS" &&
		ip addr add "$HOST_IP/30" dev "$HOST_IF" && ip link set "$HOST_IF" up &&
		ip -n "$NS" addr add "$NS_IP/30" dev "$NS_IF" && ip -n "$NS" link set "$NS_IF" up &&
		ip -n "$NS" link set lo up
}
_remove_netns() {
	[ -n "$_netns" ] || return 0
	ip link del "$HOST_IF" 2>/dev/null
	ip netns del "$_netns" 2>/dev/null
	_netns=
}

start_archive_in_netns() {
	require "network namespace with a veth pair" setup_netns
	require "pki setup" setup_pki "$NS_IP"
	ARCHIVE_NETNS=$NS
	require "archive starts in the namespace" start_archive
}

mount_tmpfs() {
	mkdir -p "$1" && mount -t tmpfs -o "size=$2,mode=0700" tmpfs "$1" || return 1
	at_exit "umount '$1' 2>/dev/null || umount -l '$1'"
}

fill_disk() { dd if=/dev/zero of="$1/filler" bs=64k status=none 2>/dev/null; sync; return 0; }
