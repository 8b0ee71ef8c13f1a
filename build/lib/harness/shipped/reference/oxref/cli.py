"""`createcontext` and `createuser`: OX's provisioning command-line tools, with OX's option names.

They run on a middleware node and use its configuration (database,
filestore) directly, as OX's tools use the node's RMI; the master admin
(`-A/-P`) or context admin credentials are checked the same way as over SOAP.
"""

from __future__ import annotations

import argparse
import sys

from oxref import config as config_module
from oxref import errors
from oxref.db import Database
from oxref.provisioning import ContextData, Provisioning, UserData, bootstrap_configdb


def _user_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("-u", "--username", required=True, help="user name")
    parser.add_argument("-d", "--displayname", default="", help="display name")
    parser.add_argument("-g", "--givenname", default="", help="given name")
    parser.add_argument("-s", "--surname", default="", help="sur name")
    parser.add_argument("-p", "--password", required=True, help="password")
    parser.add_argument("-e", "--email", default="", help="primary mail address")
    parser.add_argument("-l", "--language", default="en_US", help="language, e.g. en_US")
    parser.add_argument("-t", "--timezone", default="Europe/Berlin", help="time zone")
    parser.add_argument("-A", "--adminuser", required=True, help="admin login (master admin, or context admin)")
    parser.add_argument("-P", "--adminpass", required=True, help="admin password")


def _user(args: argparse.Namespace) -> UserData:
    return UserData(name=args.username, display_name=args.displayname, given_name=args.givenname,
                    sur_name=args.surname, password=args.password, primary_email=args.email,
                    language=args.language, timezone=args.timezone)


def _provisioning(tool: str) -> Provisioning:
    """The node's provisioning, with the configdb tables in place (the tool may run before the node)."""
    try:
        config = config_module.load()
    except config_module.ConfigError as exc:
        raise SystemExit(f"{tool}: {exc}") from None
    db = Database(config)
    try:
        db.run(db.write_pool, lambda conn: bootstrap_configdb(conn, config))
    except errors.OXException as exc:
        raise SystemExit(f"{tool}: {exc.code}: {exc.message}") from None
    return Provisioning(config, db)


def createcontext(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="createcontext", description="Create a context and its admin user.")
    parser.add_argument("-c", "--contextid", type=int, required=True, help="context id")
    parser.add_argument("-N", "--contextname", default="", help="context name")
    parser.add_argument("-q", "--quota", type=int, default=-1, help="quota in MB (-1: unlimited)")
    parser.add_argument("-L", "--addmapping", default="", help="comma-separated login mappings")
    _user_options(parser)
    args = parser.parse_args(argv)
    provisioning = _provisioning("createcontext")
    if not provisioning.is_master(args.adminuser, args.adminpass):
        print("createcontext: authentication failed: wrong master admin credentials", file=sys.stderr)
        return 1
    context = ContextData(id=args.contextid, name=args.contextname, max_quota=args.quota,
                          login_mappings=[m for m in args.addmapping.split(",") if m])
    admin = _user(args)
    try:
        created = provisioning.create_context(context, admin)
    except errors.OXException as exc:
        print(f"createcontext: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    print(f"context {created.id} created")
    return 0


def createuser(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="createuser", description="Create a user in a context.")
    parser.add_argument("-c", "--contextid", type=int, required=True, help="context id")
    _user_options(parser)
    args = parser.parse_args(argv)
    provisioning = _provisioning("createuser")
    try:
        provisioning.check_admin(args.contextid, args.adminuser, args.adminpass)
        user = provisioning.create_user(args.contextid, _user(args))
    except errors.OXException as exc:
        print(f"createuser: {exc.code}: {exc.message}", file=sys.stderr)
        return 1
    print(f"user {user.id} created")
    return 0
