# shellcheck shell=bash
# The network lab: helpers shared by tests/netlab/{start,stop,mode,loss,agent-move,conntrack}.
# Sourced, not executed. Every function takes the topology's NAME (default "ll") as $1 via nl_init.
#
#            198.19.2.0/24                      198.19.0.0/24                  198.18.0.0/24 (lan1)
#   NAME-peer  ----------  NAME-prov (the "internet" + provider)  ----------  NAME-rtr  ----------  NAME-agent
#   eth0 .2.10      to-peer .2.1   to-rtr .0.10 (lab)  .0.11 (coturn)   wan .0.1   lan1 .0.1   lan1 .0.10
#                                                                                  lan2 .1.1   lan2 .1.10
#                                                                            198.18.1.0/24 (lan2)
#
# Addresses are from 198.18.0.0/15 (RFC 2544) only, and exist only inside these namespaces.

NL_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NL_REPO="$(cd "$NL_SRC/../.." && pwd)"

NL_PROV_IP=198.19.0.10
NL_TURN_IP=198.19.0.11
NL_WAN_IP=198.19.0.1
NL_PEER_GW=198.19.2.1
NL_PEER_IP=198.19.2.10
NL_LAN1_GW=198.18.0.1
NL_LAN2_GW=198.18.1.1
NL_AGENT_IP=198.18.0.10
NL_AGENT_IP_MOVED=198.18.0.20
NL_AGENT_IP2=198.18.1.10
NL_TURN_USER=lab
NL_TURN_PASS=lab-secret
NL_TURN_REALM=lifeline.lab

nl_say() { printf '[netlab %s] %s\n' "${NL_NAME:-?}" "$*" >&2; }
nl_die() { nl_say "ERROR: $*"; exit 1; }

# nl_init NAME: set the names and paths of topology NAME
nl_init() {
	NL_NAME="${1:-ll}"
	[[ "$NL_NAME" =~ ^[a-z0-9][a-z0-9-]{0,14}$ ]] || nl_die "bad name '$NL_NAME' (lowercase letters, digits, '-'; at most 15)"
	NS_PROV="$NL_NAME-prov"
	NS_RTR="$NL_NAME-rtr"
	NS_AGENT="$NL_NAME-agent"
	NS_PEER="$NL_NAME-peer"
	NL_DIR="/tmp/lifeline-netlab-$NL_NAME"
}

nl_ns_exists() { [[ -e "/run/netns/$1" ]]; }
in_prov() { ip netns exec "$NS_PROV" "$@"; }
in_rtr() { ip netns exec "$NS_RTR" "$@"; }
in_agent() { ip netns exec "$NS_AGENT" "$@"; }
in_peer() { ip netns exec "$NS_PEER" "$@"; }

# nl_lab CMD...: run a tests/lab script for this topology's lab (in the provider namespace)
nl_lab() {
	local script="$1"; shift
	# (9>&-: the daemons it starts must not inherit the topology's lock)
	in_prov env LIFELINE_LAB_IP="$NL_PROV_IP" LIFELINE_LAB_DIR="$NL_DIR" LIFELINE_LAB_CERT_IPS="$NL_TURN_IP" \
		"$NL_REPO/tests/lab/$script" "$@" 9>&-
}

# ---------------------------------------------------------------- topology
nl_create() {
	local ns
	for ns in "$NS_PROV" "$NS_RTR" "$NS_AGENT" "$NS_PEER"; do
		nl_ns_exists "$ns" || ip netns add "$ns"
		ip netns exec "$ns" ip link set lo up
	done
	mkdir -p "$NL_DIR"
	# links (created straight into the namespaces: nothing appears in the host's)
	in_prov ip link show to-rtr >/dev/null 2>&1 ||
		ip link add to-rtr netns "$NS_PROV" type veth peer name wan netns "$NS_RTR"
	in_prov ip link show to-peer >/dev/null 2>&1 ||
		ip link add to-peer netns "$NS_PROV" type veth peer name eth0 netns "$NS_PEER"
	in_rtr ip link show lan1 >/dev/null 2>&1 ||
		ip link add lan1 netns "$NS_RTR" type veth peer name lan1 netns "$NS_AGENT"
	in_rtr ip link show lan2 >/dev/null 2>&1 ||
		ip link add lan2 netns "$NS_RTR" type veth peer name lan2 netns "$NS_AGENT"
	# provider: the lab's address and coturn's on the router side; the peer's subnet
	in_prov ip addr replace "$NL_PROV_IP/24" dev to-rtr
	in_prov ip addr replace "$NL_TURN_IP/24" dev to-rtr
	in_prov ip addr replace "$NL_PEER_GW/24" dev to-peer
	in_prov ip link set to-rtr up
	in_prov ip link set to-peer up
	in_prov sysctl -qw net.ipv4.ip_forward=1
	# peer
	in_peer ip addr replace "$NL_PEER_IP/24" dev eth0
	in_peer ip link set eth0 up
	in_peer ip route replace default via "$NL_PEER_GW"
	# router
	in_rtr ip addr replace "$NL_WAN_IP/24" dev wan
	in_rtr ip addr replace "$NL_LAN1_GW/24" dev lan1
	in_rtr ip addr replace "$NL_LAN2_GW/24" dev lan2
	in_rtr ip link set wan up
	in_rtr ip link set lan1 up
	in_rtr ip link set lan2 up
	in_rtr ip route replace default via "$NL_PROV_IP"
	in_rtr sysctl -qw net.ipv4.ip_forward=1
	# agent
	nl_agent_restore
	nl_rules_init
	nl_timeouts default
}

# nl_ns_pids NS: PIDs in namespace NS, except this script and its ancestors (a test run that lives
# in NAME-prov may be the one stopping the topology)
nl_ns_pids() {
	local p=$$ skip=" " pid
	while [[ "$p" =~ ^[0-9]+$ && "$p" -gt 1 ]]; do
		skip+="$p "
		p="$(awk '{print $4}' "/proc/$p/stat" 2>/dev/null || echo 0)"
	done
	for pid in $(ip netns pids "$1" 2>/dev/null); do
		[[ "$skip" == *" $pid "* ]] || printf '%s ' "$pid"
	done
}

nl_destroy() {
	local ns pids
	for ns in "$NS_AGENT" "$NS_PEER" "$NS_RTR" "$NS_PROV"; do
		nl_ns_exists "$ns" || continue
		# whatever a test left running in there (engine, browser...) goes with the namespace
		pids="$(nl_ns_pids "$ns")"
		if [[ -n "${pids// /}" ]]; then
			nl_say "stopping processes left in $ns: $pids"
			# shellcheck disable=SC2086
			kill -TERM $pids 2>/dev/null || true
			sleep 1
			pids="$(nl_ns_pids "$ns")"
			# shellcheck disable=SC2086
			[[ -z "${pids// /}" ]] || kill -KILL $pids 2>/dev/null || true
		fi
		ip netns del "$ns"
	done
}

# ---------------------------------------------------------------- agent addressing
nl_agent_restore() {
	in_agent ip link set lan1 up
	in_agent ip link set lan2 up
	in_agent ip addr flush dev lan1
	in_agent ip addr add "$NL_AGENT_IP/24" dev lan1
	in_agent ip addr replace "$NL_AGENT_IP2/24" dev lan2
	in_agent ip route replace default via "$NL_LAN1_GW" dev lan1
	echo normal >"$NL_DIR/agent"
}

# nl_agent_move address|interface|restore
#   address:   the agent's lan1 address changes 198.18.0.10 -> 198.18.0.20 (same link, same gateway)
#   interface: the default route moves to lan2 (198.18.1.10 via 198.18.1.1) and lan1 goes down
nl_agent_move() {
	case "$1" in
		address)
			in_agent ip addr flush dev lan1
			in_agent ip addr add "$NL_AGENT_IP_MOVED/24" dev lan1
			in_agent ip link set lan1 up
			in_agent ip route replace default via "$NL_LAN1_GW" dev lan1
			echo address >"$NL_DIR/agent"
			;;
		interface)
			in_agent ip link set lan2 up
			in_agent ip route replace default via "$NL_LAN2_GW" dev lan2
			in_agent ip link set lan1 down
			echo interface >"$NL_DIR/agent"
			;;
		restore) nl_agent_restore ;;
		*) nl_die "agent-move: address|interface|restore, not '$1'" ;;
	esac
}

# ---------------------------------------------------------------- router rules
# Our own chains, so mode and loss are independent:
#   filter FORWARD -> NL_LOSS (random UDP loss), NL_FWD (the mode's firewall)
#   nat POSTROUTING -> NL_NAT (the mode's masquerading)
nl_rules_init() {
	local c
	for c in NL_LOSS NL_FWD; do
		in_rtr iptables -w -N "$c" 2>/dev/null || true
		in_rtr iptables -w -C FORWARD -j "$c" 2>/dev/null || in_rtr iptables -w -A FORWARD -j "$c"
	done
	in_rtr iptables -w -t nat -N NL_NAT 2>/dev/null || true
	in_rtr iptables -w -t nat -C POSTROUTING -j NL_NAT 2>/dev/null || in_rtr iptables -w -t nat -A POSTROUTING -j NL_NAT
	# an expired TCP flow is not picked up again mid-stream (the NAT mapping is gone for good)
	in_rtr sysctl -qw net.netfilter.nf_conntrack_tcp_loose=0
	[[ -s "$NL_DIR/mode" ]] || nl_mode routed
	[[ -s "$NL_DIR/loss" ]] || echo 0 >"$NL_DIR/loss"
}

# nl_mode routed|nat|nat-udp-drop
nl_mode() {
	local mode="$1"
	case "$mode" in routed | nat | nat-udp-drop) ;; *) nl_die "mode: routed|nat|nat-udp-drop, not '$mode'" ;; esac
	in_rtr iptables -w -F NL_FWD
	in_rtr iptables -w -t nat -F NL_NAT
	if [[ "$mode" == routed ]]; then
		# the provider knows the office's addresses: they arrive unchanged
		in_prov ip route replace 198.18.0.0/16 via "$NL_WAN_IP"
	else
		in_prov ip route del 198.18.0.0/16 2>/dev/null || true
		in_rtr iptables -w -t nat -A NL_NAT -o wan -j MASQUERADE --random-fully
		# like a real NAT: what no mapping (any more) covers does not pass
		in_rtr iptables -w -A NL_FWD -m conntrack --ctstate INVALID -j DROP
		in_rtr iptables -w -A NL_FWD -i wan -m conntrack ! --ctstate ESTABLISHED,RELATED -j DROP
		if [[ "$mode" == nat-udp-drop ]]; then
			in_rtr iptables -w -A NL_FWD -p udp -j DROP
		fi
	fi
	# Between routed and NAT the flows set up under the old mode are forgotten (they would bypass
	# the new one); between nat and nat-udp-drop the mappings stay (a firewall change, not a new NAT).
	local old
	old="$(cat "$NL_DIR/mode" 2>/dev/null || echo none)"
	if [[ "$old" != "$mode" && ("$old" == routed || "$mode" == routed) ]]; then
		in_rtr conntrack -F >/dev/null 2>&1 || true
	fi
	echo "$mode" >"$NL_DIR/mode"
}

# nl_loss PERCENT: drop that share of the UDP the router forwards (both ways); 0 removes it
nl_loss() {
	local pct="$1" prob
	[[ "$pct" =~ ^[0-9]+(\.[0-9]+)?$ ]] || nl_die "loss: a percentage, not '$pct'"
	in_rtr iptables -w -F NL_LOSS
	prob="$(awk -v p="$pct" 'BEGIN { printf "%.4f", p / 100 }')"
	if awk -v p="$pct" 'BEGIN { exit !(p > 0) }'; then
		in_rtr iptables -w -A NL_LOSS -p udp -m statistic --mode random --probability "$prob" -j DROP
	fi
	echo "$pct" >"$NL_DIR/loss"
}

# nl_timeouts default | [tcp=S] [udp=S] [udp_stream=S]: the router's conntrack (NAT) timeouts
#   tcp        nf_conntrack_tcp_timeout_established (kernel default 432000)
#   udp        nf_conntrack_udp_timeout             (default 30: one-way / new UDP flows)
#   udp_stream nf_conntrack_udp_timeout_stream      (default 120: UDP flows that saw replies)
nl_timeouts() {
	local kv k v
	if [[ "${1:-}" == default ]]; then set -- tcp=432000 udp=30 udp_stream=120; fi
	for kv in "$@"; do
		k="${kv%%=*}" v="${kv#*=}"
		[[ "$v" =~ ^[0-9]+$ ]] || nl_die "timeouts: $k needs seconds, not '$v'"
		case "$k" in
			tcp) in_rtr sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_established="$v" ;;
			udp) in_rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout="$v" ;;
			udp_stream) in_rtr sysctl -qw net.netfilter.nf_conntrack_udp_timeout_stream="$v" ;;
			*) nl_die "timeouts: tcp= udp= udp_stream=, not '$k'" ;;
		esac
	done
}

# ---------------------------------------------------------------- coturn
nl_turn_pid() {
	local pid
	[[ -s "$NL_DIR/coturn.pid" ]] || return 1
	pid="$(tr -dc '0-9' <"$NL_DIR/coturn.pid")"
	[[ -n "$pid" && -r "/proc/$pid/stat" ]] || return 1
	[[ "$(awk '{print $3}' "/proc/$pid/stat")" != Z ]] || return 1
	echo "$pid"
}

nl_turn_start() {
	local pid i
	if pid="$(nl_turn_pid)"; then nl_say "coturn already running (pid $pid)"; return 0; fi
	command -v turnserver >/dev/null || nl_die "turnserver is not installed (Debian package coturn, scripts/apt-packages.txt)"
	[[ -s "$NL_DIR/certs/lab.crt" ]] || nl_die "no lab certificate in $NL_DIR/certs (start the lab first)"
	mkdir -p "$NL_DIR/coturn"
	: >"$NL_DIR/coturn.log"
	# --allowed-peer-ip: coturn refuses loopback peers (and whatever --denied-peer-ip lists; nothing
	# without a config file): the benchmark range is allowed explicitly, rtpengine (198.19.0.10) included.
	ip netns exec "$NS_PROV" setsid turnserver -n --listening-ip="$NL_TURN_IP" --relay-ip="$NL_TURN_IP" \
		--listening-port=3478 --tls-listening-port=5349 \
		--cert="$NL_DIR/certs/lab.crt" --pkey="$NL_DIR/certs/lab.key" \
		--lt-cred-mech --user="$NL_TURN_USER:$NL_TURN_PASS" --realm="$NL_TURN_REALM" \
		--fingerprint --no-cli --no-dtls --min-port=49152 --max-port=49999 \
		--allowed-peer-ip=198.18.0.0-198.19.255.255 \
		--userdb="$NL_DIR/coturn/turndb" --pidfile="$NL_DIR/coturn/turnserver.pid" \
		--log-file=stdout --simple-log --verbose --no-software-attribute \
		</dev/null >>"$NL_DIR/coturn.log" 2>&1 9>&- &
	echo "$!" >"$NL_DIR/coturn.pid"
	for ((i = 0; i < 100; i++)); do
		if in_prov ss -Hltn "sport = :3478" | grep -q . && in_prov ss -Hltn "sport = :5349" | grep -q . &&
			in_prov ss -Hlun "sport = :3478" | grep -q .; then
			nl_say "coturn up (pid $(cat "$NL_DIR/coturn.pid")): turn:$NL_TURN_IP:3478 (udp, tcp), turns:$NL_TURN_IP:5349"
			return 0
		fi
		nl_turn_pid >/dev/null || { tail -n 20 "$NL_DIR/coturn.log" >&2; nl_die "coturn exited"; }
		sleep 0.1
	done
	tail -n 20 "$NL_DIR/coturn.log" >&2
	nl_die "coturn not listening after 10 s"
}

nl_turn_stop() {
	local pid i
	if pid="$(nl_turn_pid)"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 50; i++)); do nl_turn_pid >/dev/null || break; sleep 0.1; done
		nl_turn_pid >/dev/null && kill -KILL "$pid" 2>/dev/null
		nl_say "coturn stopped (pid $pid)"
	fi
	rm -f "$NL_DIR/coturn.pid"
}
