#!/bin/sh
# Start Apache, then run keepalived as the main process: if keepalived dies the
# container dies with it and the VIP cannot linger on this node.
set -e
apache2ctl -t
apache2ctl start
exec keepalived --dont-fork --log-console --log-detail --vrrp -f /etc/keepalived/keepalived.conf
