#!/bin/sh
# Mount the shared mail storage (when OXH_NFS_SERVER is set), then run Dovecot in the foreground.
set -e
if [ -n "${OXH_NFS_SERVER:-}" ]; then
    oxh-nfs-mount "nfs://${OXH_NFS_SERVER}${OXH_NFS_EXPORT:?OXH_NFS_EXPORT is not set}" /var/vmail
    chown vmail:vmail /var/vmail
fi
chmod 0640 /etc/dovecot/master-users /etc/dovecot/dovecot-sql.conf.ext
chown root:dovecot /etc/dovecot/master-users /etc/dovecot/dovecot-sql.conf.ext
exec dovecot -F
