#!/bin/sh
# Mount the shared mail storage (when OXH_NFS_SERVER is set), start the lock fence for the Dovecot peers
# (OXH_IMAP_PEERS), then run Dovecot in the foreground.
set -e
if [ -n "${OXH_NFS_SERVER:-}" ]; then
    oxh-nfs-mount "nfs://${OXH_NFS_SERVER}${OXH_NFS_EXPORT:?OXH_NFS_EXPORT is not set}" /var/vmail
    chown vmail:vmail /var/vmail
    if [ -n "${OXH_IMAP_PEERS:-}" ]; then
        python3 /usr/local/lib/oxh/oxh_lock_fence.py /var/vmail &
    fi
fi
chmod 0640 /etc/dovecot/master-users /etc/dovecot/dovecot-sql.conf.ext
chown root:dovecot /etc/dovecot/master-users /etc/dovecot/dovecot-sql.conf.ext
exec dovecot -F
