#!/usr/bin/env bash
# The system calls the echo server makes for one client that connects,
# sends "hello", reads it back and closes: run by hand, with strace
# installed, from anywhere in the workspace:
#
#     bash chapters/ch11-tcp-echo-server/scripts/strace_one_request.sh
#
# It builds the server in release mode (a debug build adds an
# fcntl(F_GETFD) before every close: std checks in debug builds that an
# OwnedFd it drops is open), runs it under strace, plays the client with
# bash's /dev/tcp, stops the server with SIGTERM, and writes the calls
# that set the server up, then those made for the client, to
# strace_one_request.txt next to this script. Descriptor numbers become
# names, the port and the addresses go, and nothing in the file depends
# on timing.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
out="$here/strace_one_request.txt"
command -v strace >/dev/null || { echo "strace is not installed" >&2; exit 1; }

cargo build --quiet --release -p ch11-tcp-echo-server --bin echo_server
binary="$(cargo metadata --format-version 1 --no-deps | sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')/release/echo_server"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
strace -qq -o "$work/trace" "$binary" --addr 127.0.0.1:0 >"$work/stdout" &
strace_pid=$!
for _ in $(seq 100); do
    grep -q '^listening on' "$work/stdout" 2>/dev/null && break
    sleep 0.05
done
port="$(sed -n 's/^listening on .*:\([0-9]*\)$/\1/p' "$work/stdout")"
[ -n "$port" ] || { echo "the server did not start" >&2; exit 1; }
# strace's only child is the server.
server_pid="$(ps -o pid= --ppid "$strace_pid" | tr -d ' ')"

# The client: connect, send, read the echo, close.
exec 3<>"/dev/tcp/127.0.0.1/$port"
printf 'hello' >&3
IFS= read -r -n 5 -t 5 reply <&3
exec 3<&-
[ "$reply" = hello ] || { echo "the echo was '$reply'" >&2; exit 1; }

# Let the server see the end of the connection before it sees SIGTERM.
sleep 0.3
kill -TERM "$server_pid"
wait "$strace_pid"

# The padding strace puts before " = " squeezed out, and the numbers of
# the server's descriptors found, to be replaced by names.
sed -E 's/ +=/ =/' "$work/trace" >"$work/calls"
number_of() { sed -n "s/^$1(.*) = \([0-9]*\)$/\1/p" "$work/calls" | head -n 1; }
listener=$(number_of socket)
epoll=$(number_of epoll_create1)
eventfd=$(number_of eventfd2)
signalfd=$(number_of signalfd4)
conn=$(number_of accept4)
for fd in "$listener" "$epoll" "$eventfd" "$signalfd" "$conn"; do
    [ -n "$fd" ] || { echo "a descriptor is missing from the trace" >&2; exit 1; }
done
name_fds() {
    sed -E \
        -e "s/^([a-z0-9_]+)\($epoll([,)])/\1(epoll\2/" \
        -e "s/^([a-z0-9_]+)\($listener([,)])/\1(listener\2/" \
        -e "s/^([a-z0-9_]+)\($conn([,)])/\1(conn\2/" \
        -e "s/(EPOLL_CTL_[A-Z]+), $eventfd,/\1, eventfd,/" \
        -e "s/(EPOLL_CTL_[A-Z]+), $signalfd,/\1, signalfd,/" \
        -e "s/(EPOLL_CTL_[A-Z]+), $listener,/\1, listener,/" \
        -e "s/(EPOLL_CTL_[A-Z]+), $conn,/\1, conn,/" \
        -e "s/^socket\((.*)\) = $listener$/socket(\1) = listener/" \
        -e "s/^epoll_create1\((.*)\) = $epoll$/epoll_create1(\1) = epoll/" \
        -e "s/^eventfd2\((.*)\) = $eventfd$/eventfd2(\1) = eventfd/" \
        -e "s/^signalfd4\((.*)\) = $signalfd$/signalfd4(\1) = signalfd/" \
        -e "s/^accept4\((.*)\) = $conn$/accept4(\1) = conn/" \
        -e "s/htons\([1-9][0-9]*\)/htons(PORT)/" \
        -e "s/(listening on [0-9.]+):[0-9]+/\1:PORT/"
}
# From the listening socket to "listening on": the start.
sed -n "/^socket(/,/^write(1, \"listening on/p" "$work/calls" >"$work/start"
# From there to the close of the connection: one request.
sed -n '/^write(1, "listening on/,$p' "$work/calls" | sed '1d' |
    sed -n "1,/^close($conn)/p" >"$work/request"
{
    echo "# the start: from the listening socket to \"listening on\""
    name_fds <"$work/start"
    echo
    echo "# one client: connect, send \"hello\", read it back, close"
    name_fds <"$work/request"
    echo
    echo "# the calls of that one request, by name"
    sed -E 's/\(.*//' "$work/request" | sort | uniq -c |
        awk '{ printf "%-12s %d\n", $2, $1 }'
} >"$out"
cat "$out"
