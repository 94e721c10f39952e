#!/usr/bin/env bash
# multihost.sh - the data-parallel test (test_ddp) on two "hosts": two network namespaces on this
# machine joined by a veth pair, each with its own host name (a UTS namespace). Open MPI reads a
# hostfile of the two addresses and starts the second host's daemon through an agent that runs
# `ip netns exec` where a cluster would run ssh (plm_rsh_agent); the ranks talk over TCP only
# (btl tcp,self), as ranks on different machines do.
#   multihost.sh MPIRUN TEST_EXE
# Exits 77 (CTest: skipped) when it cannot make namespaces (not root, no iproute2/unshare, or a
# container without CAP_SYS_ADMIN / CAP_NET_ADMIN).
set -euo pipefail
mpirun="$1" exe="$2"
skip() { echo "multihost: $*; skipped"; exit 77; }
[[ $(id -u) == 0 ]] || skip "needs root for ip netns"
command -v ip >/dev/null || skip "ip (iproute2) not installed"
command -v unshare >/dev/null || skip "unshare (util-linux) not installed"
tag="mh$$"
a="${tag}a" b="${tag}b" ha=10.211.0.1 hb=10.211.0.2
work="$(mktemp -d)"
cleanup() { ip netns del "$a" 2>/dev/null || true; ip netns del "$b" 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
ip netns add "$a" 2>"$work/err" || skip "cannot create a network namespace ($(tr -d '\n' < "$work/err"))"
unshare --uts true 2>"$work/err" || skip "cannot create a UTS namespace ($(tr -d '\n' < "$work/err"))"
ip netns add "$b"
ip link add "${tag}x" type veth peer name "${tag}y"
ip link set "${tag}x" netns "$a"
ip link set "${tag}y" netns "$b"
ip -n "$a" addr add "$ha/24" dev "${tag}x"
ip -n "$b" addr add "$hb/24" dev "${tag}y"
for ns in "$a" "$b"; do ip -n "$ns" link set lo up; done
ip -n "$a" link set "${tag}x" up
ip -n "$b" link set "${tag}y" up
# What Open MPI runs instead of `ssh HOST COMMAND`: COMMAND in HOST's namespace, under HOST's name.
cat > "$work/agent" <<EOF
#!/bin/sh
host="\$1"; shift
case "\$host" in $ha) ns=$a ;; $hb) ns=$b ;; *) echo "agent: unknown host \$host" >&2; exit 1 ;; esac
echo "\$host" >> "$work/launched"
exec ip netns exec "\$ns" unshare --uts /bin/sh -c "hostname \$host && \$*"
EOF
chmod +x "$work/agent"
printf '%s slots=1\n%s slots=1\n' "$ha" "$hb" > "$work/hosts"
echo "multihost: mpirun -np 2 --hostfile {$ha, $hb} (namespaces $a, $b), btl tcp"
ip netns exec "$a" unshare --uts /bin/sh -c "hostname $ha && exec \"\$0\" \"\$@\"" \
  "$mpirun" --allow-run-as-root -np 2 --hostfile "$work/hosts" --map-by node \
  --mca plm_rsh_agent "$work/agent" --mca btl tcp,self \
  --mca btl_tcp_if_include 10.211.0.0/24 --mca oob_tcp_if_include 10.211.0.0/24 "$exe"
grep -qx "$hb" "$work/launched" || { echo "multihost: host $hb was not started through the agent"; exit 1; }
echo "multihost: both hosts ran the test (the second one's daemon started in namespace $b)"
