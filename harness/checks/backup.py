"""A point-in-time restore, performed on a database master through node access: the backup promise kept.

The check writes rows into a scratch schema, takes a consistent dump that
records its binary log position, writes more rows, notes a moment, then
writes rows and an update after that moment. It restores the dump into a
second scratch schema and replays the binary log from the dump's position
up to the moment, rewritten to the restored schema. The restored rows must
be exactly those written before the moment: none missing (the log does not
carry them), none later (the replay did not stop). Restore and replay run
with `sql_log_bin=0`, so nothing of them reaches the peer master; both
scratch schemas are dropped at the end.
"""

from __future__ import annotations

import re
import shlex
import time
from dataclasses import dataclass, field

from harness.backends.access import NodeAccess

CLIENT = "mariadb --protocol=socket -N -B"
BEFORE = {1: "a", 2: "a", 3: "b", 4: "b"}  # rows as they stand at the moment restored to
POSITION = re.compile(r"CHANGE MASTER TO MASTER_LOG_FILE='([^']+)', MASTER_LOG_POS=(\d+)")


class RestoreFailed(Exception):
    """A step of the restore failed; the message names the node, the step and what it printed."""


@dataclass
class RestoreResult:
    node: str
    position: str = ""  # binary log file:position the dump recorded
    moment: str = ""  # the time restored to
    rows: dict[int, str] = field(default_factory=dict)  # what the restored schema holds

    def problems(self) -> list[str]:
        found = []
        missing = sorted(set(BEFORE) - set(self.rows))
        later = sorted(set(self.rows) - set(BEFORE))
        changed = sorted(key for key in set(BEFORE) & set(self.rows) if self.rows[key] != BEFORE[key])
        if missing:
            found.append(f"rows {missing} written before {self.moment} are missing after the restore")
        if later:
            found.append(f"rows {later} written after {self.moment} were restored: the replay did not stop there")
        if changed:
            found.append(f"rows {changed} hold values changed after {self.moment}: the replay did not stop there")
        return [f"{self.node}: point-in-time restore to {self.moment} from {self.position}: {p}" for p in found]


def point_in_time_restore(access: NodeAccess, node: str) -> RestoreResult:
    """Restore on `node`; the scratch schemas are the node's own, so that what its peer replicates of another
    node's check never meets them."""
    result = RestoreResult(node)
    run = _runner(access, node)
    own = re.sub(r"[^a-z0-9]", "_", node.lower())
    source, restored, dump = f"oxh_pitr_{own}", f"oxh_pitr_{own}_restored", f"/tmp/oxh-pitr-{own}.sql"
    try:
        run("prepare the scratch schema", _sql(
            f"DROP DATABASE IF EXISTS {source}; SET sql_log_bin=0; DROP DATABASE IF EXISTS {restored}; "
            f"SET sql_log_bin=1; CREATE DATABASE {source}; "
            f"CREATE TABLE {source}.t (id INT PRIMARY KEY, v VARCHAR(40)); "
            f"INSERT INTO {source}.t VALUES (1,'a'),(2,'a')"))
        run("dump with the binary log position",
            f"mariadb-dump --protocol=socket --single-transaction --master-data=2 {source} > {dump}")
        found = POSITION.search(run("read the dump's position", f"grep -m1 'CHANGE MASTER TO' {dump}"))
        if not found:
            raise RestoreFailed(f"{node}: the dump recorded no binary log position (is log_bin on?)")
        first_file, position = found.group(1), int(found.group(2))
        result.position = f"{first_file}:{position}"
        run("write after the dump", _sql(f"INSERT INTO {source}.t VALUES (3,'b'),(4,'b')"))
        now = float(run("read the clock", _sql("SELECT UNIX_TIMESTAMP(NOW(6))")).split()[0])
        moment = int(now) + 1  # binary log events carry whole seconds: the next one is after every row above
        result.moment = run("name the moment", _sql(f"SELECT FROM_UNIXTIME({moment})")).strip()
        time.sleep(max(0.0, moment - now) + 1.2)
        run("write after the moment",
            _sql(f"INSERT INTO {source}.t VALUES (5,'c'); UPDATE {source}.t SET v='changed' WHERE id=1"))
        run("restore the dump", f"(echo 'SET sql_log_bin=0; CREATE DATABASE {restored}; USE {restored};'; "
                                f"cat {dump}) | {CLIENT}")
        basename = run("find the binary logs", _sql("SELECT @@log_bin_basename")).strip()
        logs = [line.split()[0] for line in run("list the binary logs", _sql("SHOW BINARY LOGS")).splitlines()
                if line.strip()]
        replayed = [f"{basename.rsplit('/', 1)[0]}/{name}" for name in logs[logs.index(first_file):]] \
            if first_file in logs else []
        if not replayed:
            raise RestoreFailed(f"{node}: the binary log {first_file} the dump names is gone (purged?)")
        run("replay the binary log to the moment",
            f"(echo 'SET sql_log_bin=0;'; mariadb-binlog --start-position={position} "
            f"--stop-datetime={shlex.quote(result.moment)} --database={source} "
            f"--rewrite-db={shlex.quote(f'{source}->{restored}')} {' '.join(replayed)}) | {CLIENT}")
        rows = run("read the restored rows", _sql(f"SELECT id, v FROM {restored}.t ORDER BY id"))
        result.rows = {int(line.split()[0]): line.split()[1] for line in rows.splitlines() if line.strip()}
    finally:
        access.exec(node, _sql(f"SET sql_log_bin=0; DROP DATABASE IF EXISTS {restored}; SET sql_log_bin=1; "
                               f"DROP DATABASE IF EXISTS {source}") + f"; rm -f {dump}", timeout=60)
    return result


def _sql(statements: str) -> str:
    return f"{CLIENT} -e {shlex.quote(statements)}"


def _runner(access: NodeAccess, node: str):
    def run(step: str, script: str) -> str:
        # pipefail: a restore whose dump or binary log reader failed must fail, not feed the client nothing
        result = access.exec(node, f"bash -o pipefail -c {shlex.quote(script)}", timeout=120)
        if not result.ok:
            raise RestoreFailed(f"{node}: {step} failed (exit {result.exit_code}): {result.output.strip()[-300:]}")
        return result.output

    return run
