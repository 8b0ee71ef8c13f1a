#!/bin/sh
# Mount the filestore export (when OXH_NFS_SERVER is set), then run the middleware.
set -e
if [ -n "${OXH_NFS_SERVER:-}" ]; then
    oxh-nfs-mount "nfs://${OXH_NFS_SERVER}${OXH_NFS_EXPORT:?OXH_NFS_EXPORT is not set}" /var/opt/filestore
fi
for tool in /opt/oxref/bin/*; do
    [ -x "$tool" ] && ln -sf "$tool" /usr/local/bin/
done
exec python3 -m oxref
