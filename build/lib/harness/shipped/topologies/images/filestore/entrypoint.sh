#!/bin/sh
# Create the exported folders, start rpcbind (NFSv3 needs it), run ganesha in the foreground.
set -e
sed -n 's/^[[:space:]]*Path[[:space:]]*=[[:space:]]*"\{0,1\}\([^";]*\)"\{0,1\};.*/\1/p' /etc/ganesha/ganesha.conf |
while read -r path; do
    mkdir -p "$path"
    chmod 0777 "$path"
done
rpcbind -w
exec ganesha.nfsd -F -L /dev/stdout -f /etc/ganesha/ganesha.conf -N NIV_EVENT
