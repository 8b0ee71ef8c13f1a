#!/bin/sh
# Start Apache (and the member watch, where the topology has one), then run keepalived as the main
# process: if keepalived dies the container dies with it and the VIP cannot linger on this node.
set -e
# After a kill or a restart of the container, stale pid files would make both refuse to start.
rm -f /run/keepalived.pid /run/vrrp.pid /run/checkers.pid /run/apache2/apache2.pid
rm -rf /run/oxh-member-watch
apache2ctl -t
apache2ctl start
if [ -s /etc/oxh/member-watch.conf ]; then
    /usr/local/sbin/oxh-member-watch &
fi
exec keepalived --dont-fork --log-console --log-detail --vrrp -f /etc/keepalived/keepalived.conf
