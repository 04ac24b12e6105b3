"""``users``: local accounts for sign-in without single sign-on ($GAPMAP_HOME/users.toml)."""

from __future__ import annotations

import argparse
import getpass
import sys

from gapmap import auth
from gapmap.cli._options import say
from gapmap.config import DataPaths


def register(sub: argparse._SubParsersAction) -> None:
    """Add the ``users`` parser and its ``add``, ``list`` and ``remove`` actions."""
    p = sub.add_parser("users", help="add, list or remove local sign-in accounts")
    actions = p.add_subparsers(dest="action", required=True, metavar="ACTION")
    a = actions.add_parser("add", help="add a user, or change a user's role and password")
    a.add_argument("name", help="sign-in name (letters, digits, . _ @ + -)")
    a.add_argument("--role", choices=auth.ROLES, required=True, help="viewer, editor or admin")
    a.add_argument("--password-stdin", action="store_true", help="read the password from standard input (for scripts)")
    actions.add_parser("list", help="list users and roles")
    r = actions.add_parser("remove", help="remove a user (signed out at their next click)")
    r.add_argument("name")
    p.set_defaults(run=run)


def _password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first = getpass.getpass("Password: ")
    if getpass.getpass("Again: ") != first:
        raise auth.AuthError("the two passwords differ")
    return first


def run(args: argparse.Namespace, paths: DataPaths) -> int:
    """Change or show the users file."""
    del paths  # accounts do not depend on the data folder
    home = auth.home_from_environment()
    path = auth.users_location(home)
    users = auth.load_users(home)
    if args.action == "list":
        for user in sorted(users.values(), key=lambda u: u.name):
            print(f"{user.name}\t{user.role}")
        if not users:
            say(f"no users in {path}: the app runs in local mode (this computer only)")
        return 0
    if args.action == "remove":
        auth.save_users(home, auth.remove_user(users, args.name))
        say(f"removed {args.name} ({len(users) - 1} users left in {path})")
        return 0
    auth.check_name(args.name)
    users = auth.add_user(users, args.name, args.role, _password(args.password_stdin))
    auth.save_users(home, users)
    say(f"{args.name} can sign in as {args.role} ({path})")
    return 0
