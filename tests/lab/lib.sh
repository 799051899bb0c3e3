# shellcheck shell=bash
# Helpers shared by tests/lab/start, stop and status. Sourced, not executed.
#
# Every part of the lab is a process whose PID is written to $LAB/pids/<part>.pid
# and whose output goes to $LAB/logs/<part>.log.

LAB_SRC="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LAB="${LIFELINE_LAB_DIR:-/tmp/lifeline-lab}"
# The address every service listens on (127.0.0.1; the network lab runs one in a namespace on 198.19.0.10).
LAB_IP="${LIFELINE_LAB_IP:-127.0.0.1}"
PIDS="$LAB/pids"
LOGS="$LAB/logs"

# All parts, in start order (stop goes in reverse).
LAB_PARTS=(pulse rtpengine kamailio psap psap_manual smtp webhook held)

say() { printf '[lab] %s\n' "$*" >&2; }

# pid_of PART -> prints the recorded PID if that process is alive (not a zombie)
pid_of() {
	local f="$PIDS/$1.pid" pid state
	[[ -s "$f" ]] || return 1
	pid="$(tr -dc '0-9' <"$f")"
	[[ -n "$pid" ]] || return 1
	pid_alive "$pid" || return 1
	printf '%s\n' "$pid"
}

# pid_alive PID: true if the process exists and is not a zombie
pid_alive() {
	local state
	[[ -r "/proc/$1/stat" ]] || return 1
	state="$(awk '{print $3}' "/proc/$1/stat" 2>/dev/null || true)"
	[[ -n "$state" && "$state" != "Z" && "$state" != "X" ]]
}

# tcp_listening PORT / udp_listening PORT (any address of this network namespace)
tcp_listening() { ss -Hltn "sport = :$1" 2>/dev/null | grep -q .; }
udp_listening() { ss -Hlun "sport = :$1" 2>/dev/null | grep -q .; }

# fail PART MESSAGE: print the message and the tail of the part's log, then exit 1
fail() {
	local part="$1"; shift
	say "ERROR: $part: $*"
	if [[ -s "$LOGS/$part.log" ]]; then
		say "last lines of $LOGS/$part.log:"
		tail -n 25 "$LOGS/$part.log" | sed 's/^/    /' >&2
	fi
	exit 1
}

# wait_ready PART TIMEOUT_S DESCRIPTION CMD...: poll CMD every 0.1 s until it
# succeeds; fail with the log tail if the part's process dies or time runs out.
wait_ready() {
	local part="$1" timeout="$2" what="$3"; shift 3
	local deadline=$((SECONDS + timeout)) pid
	while true; do
		if "$@"; then return 0; fi
		if ! pid="$(pid_of "$part")"; then
			fail "$part" "process exited before $what"
		fi
		if ((SECONDS >= deadline)); then
			fail "$part" "not ready after ${timeout}s (waiting for $what)"
		fi
		sleep 0.1
	done
}

# launch PART CMD...: start CMD detached (own session, stdin from /dev/null),
# output to the part's log, PID recorded.
launch() {
	local part="$1"; shift
	: >"$LOGS/$part.log"
	setsid "$@" </dev/null >>"$LOGS/$part.log" 2>&1 &
	echo "$!" >"$PIDS/$part.pid"
}

# stop_pid PART: SIGTERM, wait up to 10 s, then SIGKILL.
stop_part() {
	local part="$1" pid i
	if pid="$(pid_of "$part")"; then
		kill -TERM "$pid" 2>/dev/null || true
		for ((i = 0; i < 100; i++)); do
			pid_alive "$pid" || break
			sleep 0.1
		done
		if pid_alive "$pid"; then
			say "$part (pid $pid) ignored SIGTERM, killing"
			kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
		fi
		# children of a session leader (kamailio workers, chromium...) go too
		kill -TERM -- "-$pid" 2>/dev/null || true
		say "$part stopped (pid $pid)"
	fi
	rm -f "$PIDS/$part.pid" "$PIDS/$part.sources"
}

# The python that has aiosmtpd: the test venv if present, else Debian's.
lab_python() {
	local venv="${LIFELINE_VENV:-/var/cache/lifeline/venv}"
	if [[ -x "$venv/bin/python" ]] && "$venv/bin/python" -c 'import aiosmtpd' 2>/dev/null; then
		printf '%s\n' "$venv/bin/python"
	else
		printf '%s\n' /usr/bin/python3
	fi
}
