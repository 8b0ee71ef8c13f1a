#!/bin/bash
# OXH_FORWARDS="LISTEN_PORT:ADDRESS:PORT ...": one socat per forward, each
# connection opened anew to the address (so a VIP that moved is followed).
set -euo pipefail
pids=()
for forward in ${OXH_FORWARDS:?OXH_FORWARDS is not set}; do
    IFS=: read -r listen address port <<<"$forward"
    socat "TCP-LISTEN:${listen},fork,reuseaddr,backlog=256" "TCP:${address}:${port},connect-timeout=3" &
    pids+=($!)
    echo "oxh-edge: :${listen} -> ${address}:${port}"
done
trap 'kill -TERM "${pids[@]}" 2>/dev/null' TERM INT
wait -n
