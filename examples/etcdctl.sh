#!/usr/bin/env bash
# The operator's runbook against a raftkit cluster: three `raftkit` members on loopback, driven
# by the real etcdctl (ETCDCTL_API=3, 3.4 or later) exactly as an etcd cluster would be. Each
# step prints the commands it runs and their output, and checks the output; the script stops at
# the first step that fails (exit status 1). The members and the temporary folder are removed on
# exit, whatever happens (Ctrl-C included).
#
#   bash examples/etcdctl.sh
#
# The raftkit command: $RAFTKIT if set (a command line, e.g. "npx raftkit"), else `raftkit` on
# the PATH (an installed package), else this repository's build (dist/cli.js, built with
# `npm run build` when missing).
set -euo pipefail
export ETCDCTL_API=3

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
if [[ -n "${RAFTKIT:-}" ]]; then
  read -r -a raftkit <<<"$RAFTKIT"
elif command -v raftkit >/dev/null 2>&1; then
  raftkit=(raftkit)
else
  [[ -f "$repo/dist/cli.js" ]] || (cd "$repo" && npm run --silent build >/dev/null)
  raftkit=(node "$repo/dist/cli.js")
fi
command -v etcdctl >/dev/null 2>&1 || { echo "etcdctl is not on the PATH (Debian: apt-get install etcd-client)" >&2; exit 1; }

tmp=$(mktemp -d "${TMPDIR:-/tmp}/raftkit-runbook-XXXXXX")
pids=()
cleanup() {
  local status=$?
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  rm -rf "$tmp"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

step() { printf '\n## %s\n' "$*"; }
fail() {
  echo "FAILED: $*" >&2
  exit 1
}
# Runs etcdctl against the members, echoing the command and its output (stdout, into $out;
# etcdctl's log lines on stderr are shown only when the command fails).
ctl() {
  echo "\$ etcdctl $*"
  out=$(etcdctl --endpoints="$endpoints" --dial-timeout=3s --command-timeout=10s "$@" 2>"$tmp/etcdctl.err") || {
    echo "$out"
    cat "$tmp/etcdctl.err"
    fail "etcdctl $*"
  }
  [[ -z "$out" ]] || echo "$out"
}
# Same, for the commands that print their results on stderr (endpoint health): $out gets both,
# without etcdctl's JSON log lines.
ctl_stderr() {
  ctl "$@"
  out=$(grep -v '^{"level"' "$tmp/etcdctl.err" || true)
  [[ -z "$out" ]] || echo "$out"
}
# Checks that the last output contains a line matching the regular expression $1.
expect() { grep -Eq -- "$1" <<<"$out" || fail "expected a line matching /$1/"; }

# Free loopback ports, from the OS: client and peer for each member.
read -r -a ports <<<"$(node -e '
  const net = require("node:net");
  const take = () => new Promise((ok) => { const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => ok(p)); }); });
  (async () => { const ps = []; while (ps.length < 6) { const p = await take(); if (!ps.includes(p)) ps.push(p); } console.log(ps.join(" ")); })();
')"
initial=""
endpoints=""
for i in 1 2 3; do
  initial+="${initial:+,}m$i=http://127.0.0.1:${ports[$((2 * i - 1))]}"
  endpoints+="${endpoints:+,}127.0.0.1:${ports[$((2 * i - 2))]}"
done
first=${endpoints%%,*}

step "start three raftkit members (data in $tmp)"
for i in 1 2 3; do
  client="http://127.0.0.1:${ports[$((2 * i - 2))]}"
  peer="http://127.0.0.1:${ports[$((2 * i - 1))]}"
  echo "\$ raftkit --name m$i --data-dir $tmp/m$i --listen-client-urls $client --listen-peer-urls $peer ..."
  "${raftkit[@]}" --name "m$i" --data-dir "$tmp/m$i" \
    --listen-client-urls "$client" --advertise-client-urls "$client" \
    --listen-peer-urls "$peer" --initial-advertise-peer-urls "$peer" \
    --initial-cluster "$initial" --initial-cluster-state new --initial-cluster-token runbook \
    --heartbeat-interval 50 --election-timeout 500 --log-level warn >"$tmp/m$i.log" 2>&1 &
  pids+=("$!")
done
for _ in $(seq 1 240); do
  etcdctl --endpoints="$endpoints" --dial-timeout=1s --command-timeout=2s endpoint health >/dev/null 2>&1 && break
  for i in 1 2 3; do
    kill -0 "${pids[$((i - 1))]}" 2>/dev/null || { tail -n 20 "$tmp/m$i.log" >&2; fail "member m$i exited (its log is above)"; }
  done
  sleep 0.25
done
ctl_stderr endpoint health
[[ $(grep -c 'is healthy' <<<"$out") == 3 ]] || fail "three healthy members"

step "member list, endpoint status, endpoint status/health --cluster"
ctl member list -w table
[[ $(grep -Ec '\| +started +\| +m[123] +\|' <<<"$out") == 3 ]] || fail "three started members"
ctl endpoint status -w table
[[ $(grep -Ec '\| +true +\| +false +\|' <<<"$out") == 1 ]] || fail "exactly one leader"
# --cluster: every member from the member list, called at its advertised client URL.
endpoints=$first ctl endpoint status --cluster -w table
[[ $(grep -Ec '^\| http://127\.0\.0\.1:[0-9]+ ' <<<"$out") == 3 ]] || fail "three members listed"
[[ $(grep -Ec '\| +true +\| +false +\|' <<<"$out") == 1 ]] || fail "exactly one leader"
endpoints=$first ctl_stderr endpoint health --cluster
[[ $(grep -c 'is healthy' <<<"$out") == 3 ]] || fail "three healthy members"

step "put, get, del"
ctl put /runbook/greeting hello
expect '^OK$'
ctl get /runbook/greeting
expect '^hello$'
ctl put /runbook/a 1
ctl put /runbook/b 2
ctl get /runbook/ --prefix --keys-only
[[ $(grep -c '^/runbook/' <<<"$out") == 3 ]] || fail "three keys under /runbook/"
ctl del /runbook/b
expect '^1$'

step "txn: compare-and-set"
echo "\$ etcdctl txn  (if /runbook/a is 1, put 2; else put failed)"
out=$(printf 'value("/runbook/a") = "1"\n\nput /runbook/a 2\n\nput /runbook/a failed\n\n' | etcdctl --endpoints="$endpoints" txn 2>&1) || fail "etcdctl txn: $out"
echo "$out"
expect '^SUCCESS$'
ctl get /runbook/a --print-value-only
expect '^2$'

step "watch: events from a revision"
ctl get /runbook/a -w json
rev=$(grep -Eo '"revision":[0-9]+' <<<"$out" | head -1 | cut -d: -f2)
echo "\$ etcdctl watch --prefix /runbook/w/ --rev $((rev + 1))  (in the background)"
etcdctl --endpoints="$endpoints" watch --prefix /runbook/w/ --rev "$((rev + 1))" >"$tmp/watch.out" 2>&1 &
watcher=$!
pids+=("$watcher")
ctl put /runbook/w/1 one
ctl put /runbook/w/2 two
ctl del /runbook/w/1
for _ in $(seq 1 200); do
  [[ $(grep -Ec '^(PUT|DELETE)$' "$tmp/watch.out") -ge 3 ]] && break
  sleep 0.05
done
kill "$watcher" 2>/dev/null || true
out=$(cat "$tmp/watch.out")
echo "$out"
[[ $(tr '\n' ' ' <<<"$out") == "PUT /runbook/w/1 one PUT /runbook/w/2 two DELETE /runbook/w/1 "* ]] || fail "the watch's three events, in order"

step "leases"
ctl lease grant 60
expect '^lease [0-9a-f]+ granted with TTL\(60s\)$'
lease=$(awk '{print $2}' <<<"$out")
ctl put /runbook/session alive --lease="$lease"
ctl lease timetolive "$lease" --keys
expect "^lease $lease granted with TTL\(60s\), remaining\([0-9]+s\), attached keys\(\[/runbook/session\]\)$"
ctl lease revoke "$lease"
expect "^lease $lease revoked$"
ctl get /runbook/session
[[ -z "$out" ]] || fail "the leased key went with its lease"

step "compaction, defrag"
ctl put /runbook/a 3 -w json
rev=$(grep -Eo '"revision":[0-9]+' <<<"$out" | head -1 | cut -d: -f2)
ctl compaction "$rev"
expect "^compacted revision $rev$"
echo "\$ etcdctl get /runbook/a --rev $((rev - 1))  (compacted: must fail)"
if out=$(etcdctl --endpoints="$endpoints" get /runbook/a --rev "$((rev - 1))" 2>&1); then fail "a read below the compacted revision"; fi
out=$(grep '^Error:' <<<"$out" || true)
echo "$out"
expect 'required revision has been compacted'
ctl defrag
[[ $(grep -c '^Finished defragmenting etcd member' <<<"$out") == 3 ]] || fail "three members defragmented"

step "snapshot save, snapshot status"
endpoints=$first ctl snapshot save "$tmp/backup.db"
expect "^Snapshot saved at $tmp/backup.db$"
ctl snapshot status "$tmp/backup.db" -w table
expect "^\| +[0-9a-f]+ \| +$rev \| +[0-9]+ \| +[0-9.]+ [kM]?B \|$"

step "alarm list"
ctl alarm list
[[ -z "$out" ]] || fail "no alarm raised"
echo "(no alarms)"

step "stop the members"
for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
pids=()
echo "runbook: every step passed"
