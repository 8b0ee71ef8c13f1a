"""Tables of the configdb and of a context's user schema (`oxdatabase_<cid>`), created idempotently."""

from __future__ import annotations

CONFIGDB = "configdb"

CONFIGDB_TABLES = [
    """CREATE TABLE IF NOT EXISTS context (
        cid INT PRIMARY KEY, name VARCHAR(128) NOT NULL UNIQUE, enabled TINYINT NOT NULL DEFAULT 1,
        filestore_id INT NOT NULL, db_schema VARCHAR(64) NOT NULL, quota_max BIGINT NOT NULL DEFAULT -1,
        created BIGINT NOT NULL) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS login2context (
        login_info VARCHAR(128) PRIMARY KEY, cid INT NOT NULL) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS server (
        server_id INT PRIMARY KEY, name VARCHAR(128) NOT NULL UNIQUE) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS filestore (
        id INT PRIMARY KEY, uri VARCHAR(255) NOT NULL, size BIGINT NOT NULL, max_context INT NOT NULL) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS db_pool (
        db_pool_id INT PRIMARY KEY, url VARCHAR(255) NOT NULL, name VARCHAR(128) NOT NULL,
        read_url VARCHAR(255) NOT NULL) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS context_server2db_pool (
        cid INT PRIMARY KEY, server_id INT NOT NULL, write_db_pool_id INT NOT NULL,
        read_db_pool_id INT NOT NULL, db_schema VARCHAR(64) NOT NULL) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS sessiond (
        session_id VARCHAR(64) PRIMARY KEY, secret VARCHAR(64) NOT NULL, alt_id VARCHAR(64) NOT NULL,
        cid INT NOT NULL, user_id INT NOT NULL, login VARCHAR(255) NOT NULL, client VARCHAR(128) NOT NULL,
        hash VARCHAR(64) NOT NULL, node VARCHAR(64) NOT NULL, created BIGINT NOT NULL,
        last_active BIGINT NOT NULL, INDEX (alt_id)) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS replicationMonitor (
        id INT PRIMARY KEY, transaction BIGINT NOT NULL) ENGINE=InnoDB""",
]

CONTEXT_TABLES = [
    """CREATE TABLE IF NOT EXISTS user (
        id INT PRIMARY KEY, name VARCHAR(128) NOT NULL UNIQUE, display_name VARCHAR(255) NOT NULL,
        given_name VARCHAR(128) NOT NULL DEFAULT '', sur_name VARCHAR(128) NOT NULL DEFAULT '',
        email VARCHAR(255) NOT NULL, password VARCHAR(255) NOT NULL, language VARCHAR(16) NOT NULL DEFAULT 'en_US',
        timezone VARCHAR(64) NOT NULL DEFAULT 'Europe/Berlin', is_admin TINYINT NOT NULL DEFAULT 0,
        created BIGINT NOT NULL) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS folder (
        id INT AUTO_INCREMENT PRIMARY KEY, parent INT NOT NULL, name VARCHAR(255) NOT NULL,
        module VARCHAR(32) NOT NULL, owner INT NOT NULL, type INT NOT NULL, standard TINYINT NOT NULL DEFAULT 0,
        created BIGINT NOT NULL, last_modified BIGINT NOT NULL, INDEX (parent), INDEX (owner)) ENGINE=InnoDB AUTO_INCREMENT=100""",
    """CREATE TABLE IF NOT EXISTS contact (
        id INT AUTO_INCREMENT PRIMARY KEY, folder INT NOT NULL, created_by INT NOT NULL, created BIGINT NOT NULL,
        last_modified BIGINT NOT NULL, display_name VARCHAR(320) NOT NULL DEFAULT '',
        first_name VARCHAR(128) NOT NULL DEFAULT '', last_name VARCHAR(128) NOT NULL DEFAULT '',
        email1 VARCHAR(255) NOT NULL DEFAULT '', email2 VARCHAR(255) NOT NULL DEFAULT '',
        telephone_business1 VARCHAR(64) NOT NULL DEFAULT '', company VARCHAR(255) NOT NULL DEFAULT '',
        note TEXT, uid VARCHAR(255) NOT NULL, INDEX (folder)) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS dav_tombstone (
        folder INT NOT NULL, object_table VARCHAR(16) NOT NULL, uid VARCHAR(255) NOT NULL, deleted BIGINT NOT NULL,
        INDEX (folder, deleted)) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS task (
        id INT AUTO_INCREMENT PRIMARY KEY, folder INT NOT NULL, created_by INT NOT NULL, created BIGINT NOT NULL,
        last_modified BIGINT NOT NULL, title VARCHAR(255) NOT NULL DEFAULT '', note TEXT,
        status INT NOT NULL DEFAULT 1, priority INT NOT NULL DEFAULT 2, percent_completed INT NOT NULL DEFAULT 0,
        start_time BIGINT NULL, end_time BIGINT NULL, INDEX (folder)) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS event (
        id INT AUTO_INCREMENT PRIMARY KEY, folder INT NOT NULL, uid VARCHAR(255) NOT NULL,
        created_by INT NOT NULL, created BIGINT NOT NULL, last_modified BIGINT NOT NULL,
        summary VARCHAR(255) NOT NULL DEFAULT '', description TEXT, location VARCHAR(255) NOT NULL DEFAULT '',
        start_value VARCHAR(32) NOT NULL, start_tz VARCHAR(64) NULL, end_value VARCHAR(32) NOT NULL,
        end_tz VARCHAR(64) NULL, start_ms BIGINT NOT NULL, end_ms BIGINT NOT NULL, ical MEDIUMTEXT NULL,
        component VARCHAR(9) NOT NULL DEFAULT 'VEVENT', INDEX (folder), INDEX (uid)) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS infostore (
        id INT AUTO_INCREMENT PRIMARY KEY, folder INT NOT NULL, created_by INT NOT NULL, created BIGINT NOT NULL,
        last_modified BIGINT NOT NULL, title VARCHAR(255) NOT NULL DEFAULT '', filename VARCHAR(255) NOT NULL,
        mimetype VARCHAR(255) NOT NULL, size BIGINT NOT NULL, description TEXT, blob_path VARCHAR(255) NOT NULL,
        md5 VARCHAR(32) NOT NULL, version INT NOT NULL DEFAULT 1, INDEX (folder)) ENGINE=InnoDB""",
    """CREATE TABLE IF NOT EXISTS replicationMonitor (
        id INT PRIMARY KEY, transaction BIGINT NOT NULL) ENGINE=InnoDB""",
]

# System folders every context has (ids below the AUTO_INCREMENT start).
SYSTEM_FOLDERS = [
    (1, 0, "Private folders", "system", 0, 5),
    (2, 0, "Public folders", "system", 0, 5),
    (9, 0, "Infostore", "infostore", 0, 5),
    (10, 9, "Userstore", "infostore", 0, 5),
]
# Default folders of every user: (module, name, parent, type).
DEFAULT_FOLDERS = [
    ("contacts", "Contacts", 1, 1),
    ("calendar", "Calendar", 1, 1),
    ("tasks", "Tasks", 1, 1),
    ("infostore", "My files", 10, 1),
]


def schema_name(cid: int) -> str:
    return f"oxdatabase_{cid}"
