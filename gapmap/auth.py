"""Users, roles and passwords for small installs without single sign-on.

Three roles, each with everything the one before it may do:

- **viewer**: aggregates and the privacy-protected map only;
- **editor**: also imports, edits and exports records, and sees exact locations;
- **admin**: also manages users and settings.

Local accounts live in a TOML file (``$GAPMAP_HOME/users.toml``, mode 0600, folder 0700)
with argon2id password hashes (argon2-cffi's defaults). Functions here are pure apart from
:func:`read_users` and :func:`write_users`, which take the path explicitly; the one place
that looks at the environment is :func:`home_from_environment`.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from gapmap import io, shared
from gapmap.config import data_home
from gapmap.errors import GapmapError, OutputError

ROLES = ("viewer", "editor", "admin")
ACTIONS = {
    "view": "viewer",
    "import": "editor",
    "edit": "editor",
    "exact": "editor",
    "export_records": "editor",
    "users": "admin",
    "settings": "admin",
}
"""Each action and the least role allowed to do it."""
MIN_PASSWORD = 12
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$")
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so a wrong name takes as long as a wrong password.
_DUMMY_HASH = _HASHER.hash("not a real password, only for timing")


class AuthError(GapmapError, ValueError):
    """A bad user name, role or password, or an unusable users file."""


class SignInError(AuthError):
    """Wrong user name or password (deliberately not saying which)."""


@dataclass(frozen=True)
class User:
    """A local account.

    Attributes
    ----------
    name
        Sign-in name (letters, digits and ``. _ @ + -``).
    role
        One of :data:`ROLES`.
    password_hash
        argon2id hash (PHC string).
    """

    name: str
    role: str
    password_hash: str


def home_from_environment() -> Path:
    """The gapmap data folder: ``$GAPMAP_HOME``, else ``~/.local/share/gapmap`` (:func:`gapmap.config.data_home`)."""
    return data_home()


def users_path(home: Path) -> Path:
    """Where the users file lives in ``home``."""
    return Path(home) / "users.toml"


def check_role(role: str) -> str:
    """Return ``role`` if known, else raise :class:`AuthError`."""
    if role not in ROLES:
        raise AuthError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return role


def can(role: str | None, action: str) -> bool:
    """Whether ``role`` may do ``action`` (one of :data:`ACTIONS`).

    Examples
    --------
    >>> can("viewer", "exact"), can("editor", "exact"), can("editor", "users"), can(None, "view")
    (False, True, False, False)
    """
    if action not in ACTIONS:
        raise AuthError(f"unknown action {action!r}; choose one of {', '.join(ACTIONS)}")
    if role not in ROLES:
        return False
    return ROLES.index(role) >= ROLES.index(ACTIONS[action])


def check_name(name: str) -> str:
    """Return ``name`` if it is a valid user name, else raise :class:`AuthError`."""
    if not _NAME.fullmatch(name or ""):
        raise AuthError(f"bad user name {name!r}: use 1–64 letters, digits and . _ @ + - (first a letter or digit)")
    return name


def hash_password(password: str) -> str:
    """argon2id hash of ``password`` (at least :data:`MIN_PASSWORD` characters)."""
    if len(password) < MIN_PASSWORD:
        raise AuthError(f"the password must have at least {MIN_PASSWORD} characters")
    return _HASHER.hash(password)


def read_users(path: Path) -> dict[str, User]:
    """Accounts in the users file (empty if there is no file).

    Raises
    ------
    AuthError
        If the file cannot be read or is not a valid users file.
    """
    path = Path(path)
    if not path.exists():
        return {}
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise AuthError(f"cannot read the users file {path}: {exc}") from exc
    return _parse(text, f"the users file {path}")


def _parse(text: str, where: str) -> dict[str, User]:
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise AuthError(f"cannot read {where}: {exc}") from exc
    users = {}
    for name, entry in (raw.get("users") or {}).items():
        if not isinstance(entry, dict) or not isinstance(entry.get("password_hash"), str):
            raise AuthError(f"{where}: user {name!r} has no password_hash")
        users[check_name(name)] = User(name, check_role(str(entry.get("role"))), entry["password_hash"])
    return users


def load_users(home: Path) -> dict[str, User]:
    """The local accounts: in the registry's database with a PostgreSQL registry, else ``home/users.toml``.

    With ``GAPMAP_REGISTRY=postgresql://…`` every server of the registry shares one list
    (:mod:`gapmap.shared`); until one is saved there, this server's own file is read.
    """
    url = shared.registry_url()
    if url:
        text = shared.read_setting(url, shared.USERS)
        if text is not None:
            return _parse(text.decode("utf-8"), "the registry database's users")
    return read_users(users_path(home))


def save_users(home: Path, users: dict[str, User]) -> None:
    """Save the local accounts where :func:`load_users` reads them."""
    url = shared.registry_url()
    if url:
        shared.write_setting(url, shared.USERS, _toml(users).encode("utf-8"))
    else:
        write_users(users_path(home), users)


def users_location(home: Path) -> str:
    """Where :func:`load_users` keeps the accounts (for messages)."""
    return "the registry database" if shared.registry_url() else str(users_path(home))


def _toml(users: dict[str, User]) -> str:
    lines = ["# gapmap local accounts. Edit with `python -m gapmap users`; hashes are argon2id.", ""]
    for user in sorted(users.values(), key=lambda u: u.name):
        # Names are checked against _NAME and hashes are PHC strings: no quoting issues.
        lines += [f'[users."{check_name(user.name)}"]', f'role = "{check_role(user.role)}"']
        lines += [f'password_hash = "{user.password_hash}"', ""]
    return "\n".join(lines)


def write_users(path: Path, users: dict[str, User]) -> None:
    """Write the users file atomically, readable by its owner only (0600, folder 0700)."""
    path = Path(path)
    try:
        io.write_atomic(path, _toml(users).encode("utf-8"))
    except OutputError as exc:
        raise AuthError(f"cannot write the users file {path}: {exc}") from exc


def add_user(users: dict[str, User], name: str, role: str, password: str) -> dict[str, User]:
    """A copy of ``users`` with ``name`` added or replaced (new role and password)."""
    user = User(check_name(name), check_role(role), hash_password(password))
    return {**users, name: user}


def remove_user(users: dict[str, User], name: str) -> dict[str, User]:
    """A copy of ``users`` without ``name`` (raises :class:`AuthError` if absent)."""
    if name not in users:
        raise AuthError(f"no user called {name!r}")
    return {k: v for k, v in users.items() if k != name}


def verify(users: dict[str, User], name: str, password: str) -> User:
    """The user if ``password`` is right, else :class:`SignInError` (same message either way)."""
    user = users.get(name)
    try:
        _HASHER.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        raise SignInError("wrong user name or password") from None
    if user is None:
        raise SignInError("wrong user name or password")
    return user
