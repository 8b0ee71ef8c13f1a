#!/bin/bash
# Close the database to all but its users, initialise the data directory on
# first start (accounts, bootstrap schema and replication from
# /etc/oxh/init.sql), then run MariaDB and keepalived. As on a
# real host, MariaDB dying leaves keepalived running: its health check
# (pgrep mariadbd) must hand the write VIP over, and the container (the host)
# lives on until keepalived ends or the container is stopped. A MariaDB
# started again later (docker exec -d mariadbd) is stopped with the container.
set -euo pipefail
# After a kill or a restart of the container, stale pid files would make keepalived refuse to start.
rm -f /run/keepalived.pid /run/vrrp.pid /run/checkers.pid /run/mysqld/mysqld.pid

# Only the tiers that use the database reach it (rendered by the harness: /etc/oxh/firewall.rules).
if [ -f /etc/oxh/firewall.rules ]; then
    iptables-restore < /etc/oxh/firewall.rules
fi

first_start=0
if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
    first_start=1
fi

mariadbd --user=mysql &
db_pid=$!

for _ in $(seq 1 300); do
    mariadb-admin --protocol=socket ping >/dev/null 2>&1 && break
    kill -0 "$db_pid" 2>/dev/null || { echo "mariadbd exited during start-up" >&2; exit 1; }
    sleep 0.1
done

if [ "$first_start" = 1 ]; then
    mariadb --protocol=socket < /etc/oxh/init.sql
    echo "oxh-database: initialised"
fi

keepalived --dont-fork --log-console --vrrp -f /etc/keepalived/keepalived.conf &
ka_pid=$!

stop_all() {
    kill -TERM "$ka_pid" 2>/dev/null || true
    pkill -TERM -x mariadbd 2>/dev/null || true
    for _ in $(seq 1 100); do pgrep -x mariadbd >/dev/null || break; sleep 0.1; done
}
trap 'stop_all; exit 0' TERM INT
set +e
wait "$ka_pid"
status=$?
stop_all
exit "$status"
