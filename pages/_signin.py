"""Sign-in and roles: who is using the app, and what their role lets them do.

Three ways in: single sign-on (``st.login``, OpenID Connect) when ``.streamlit/secrets.toml``
has an ``[auth]`` section; local passwords when ``$GAPMAP_HOME/users.toml`` has users; else
local mode (the app serves this computer only, as an editor). :func:`sign_in` is the only page
until someone has signed in. ``pages/_shared.py`` re-exports every name here.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import streamlit as st

from gapmap import auth, registry
from gapmap.config import PACKAGE_ROOT
from gapmap.errors import RegistryError
from pages import _server as gate
from pages._markdown import plain

LOOPBACK = ("127.0.0.1", "localhost", "::1")
SESSION_USER = "_gapmap_user"
"""Session-state key holding the name of a user signed in with a local password."""


@dataclass(frozen=True)
class Session:
    """Who is using the app and with which role.

    ``method`` is ``"oidc"`` (st.login), ``"password"`` (local users file) or ``"local"``
    (no sign-in configured; the app then serves 127.0.0.1 only).
    """

    user: str
    role: str
    method: str


NOBODY = Session("", "", "none")
"""Not signed in: no role, so no permission."""


def _gapmap_secrets() -> dict:
    try:
        return dict(st.secrets.get("gapmap", {}))
    except (FileNotFoundError, KeyError, AttributeError, st.errors.StreamlitSecretNotFoundError):
        return {}


def _oidc_configured() -> bool:
    try:
        return "auth" in st.secrets
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        return False


def local_users() -> dict[str, auth.User]:
    """Accounts in $GAPMAP_HOME/users.toml (re-read every run, so removals take effect)."""
    try:
        return auth.load_users(auth.home_from_environment())
    except RegistryError as exc:  # a PostgreSQL registry keeps the users: down, sign-in waits
        from pages._shared import registry_unavailable  # late: _shared re-exports this module

        registry_unavailable(exc, "Sign-in is")


def signin_method() -> str | None:
    """ "oidc" when secrets.toml has an [auth] section, "password" when the users file has users, else None."""
    if _oidc_configured():
        return "oidc"
    if local_users():
        return "password"
    return None


def address_refused() -> bool:
    """True when no sign-in is configured and the server listens beyond this computer."""
    return signin_method() is None and st.get_option("server.address") not in LOOPBACK


def gate_missing() -> bool:
    """True when sign-in is configured but the server was started without gapmap's request gate.

    ``streamlit run app.py`` has no check on uploads, downloads or outline files
    (:mod:`pages._server`); with sign-in (a network), the app must run as ``streamlit run serve.py``.
    """
    return signin_method() is not None and gate.unguarded()


def gate_page() -> None:
    """The only page served when :func:`gate_missing`."""
    st.title("gapmap")
    st.error(
        "Sign-in is set up, so gapmap must be started with `streamlit run serve.py`, not `app.py`: "
        "serve.py adds the checks that keep uploads, downloads and map files to signed-in users. "
        "See the README, *Deployment*.",
        icon=":material/lock:",
    )


def refusal_page() -> None:
    """The only page served when :func:`address_refused`: why, and what to do."""
    address = st.get_option("server.address")
    st.title("gapmap")
    st.error(
        f"gapmap will not start on address {address or 'every network interface'!r} without sign-in. "
        "Anyone who can reach the server could see and change personal data. Either run it on this "
        "computer only (`--server.address 127.0.0.1`, the default in .streamlit/config.toml), or set up "
        "sign-in: add users with `python -m gapmap users add NAME --role viewer`, or configure "
        "`st.login` (OpenID Connect) in .streamlit/secrets.toml. See the README, *Sign-in, roles and privacy*.",
        icon=":material/lock:",
    )


def _oidc_session() -> Session | None:
    if not st.user.get("is_logged_in", False):
        return None
    email = str(st.user.get("email") or "").lower()
    settings = _gapmap_secrets()
    roles = {str(k).lower(): str(v) for k, v in dict(settings.get("roles", {})).items()}
    role = roles.get(email) or settings.get("default_role")
    if role not in auth.ROLES:
        st.error(f"{plain(email) if email else 'This account'} has no role in gapmap. Ask an administrator to add you.")
        st.button("Sign out", on_click=st.logout)
        st.stop()
    return Session(email, role, "oidc")


MAX_FAILURES = 5
MAX_TRACKED_NAMES = 10_000
LOCKOUT_S = 900


@st.cache_resource(show_spinner=False)
def _failed_sign_ins() -> dict[str, list[float]]:
    """Times of recent wrong passwords per user name, shared by all sessions of this server."""
    return {}


def sign_in_page() -> None:
    """The local-password sign-in form (the only page until someone signs in)."""
    users = local_users()
    st.title("gapmap")
    with st.form("sign_in"):
        st.write("Sign in to continue.")
        who = st.text_input("User name", key="_signin_name")
        password = st.text_input("Password", type="password", key="_signin_password")
        submitted = st.form_submit_button("Sign in", type="primary")
    st.page_link("pages/accessibility.py", label="Accessibility statement", icon=":material/accessibility:")
    if submitted:
        name = who.strip()
        failures = _failed_sign_ins()
        recent = [t for t in failures.get(name, []) if time.monotonic() - t < LOCKOUT_S]
        if len(recent) >= MAX_FAILURES:
            st.error(f"Too many wrong passwords for this name. Try again in {LOCKOUT_S // 60} minutes.")
            st.stop()
        try:
            user = auth.verify(users, name, password)
        except auth.SignInError as exc:
            if len(failures) > MAX_TRACKED_NAMES:  # many made-up names must not fill the memory
                for stale in [n for n, times in failures.items() if time.monotonic() - times[-1] >= LOCKOUT_S]:
                    del failures[stale]
            failures[name] = [*recent, time.monotonic()]
            st.error(str(exc).capitalize() + ".")
        else:
            failures.pop(name, None)
            st.session_state[SESSION_USER] = user.name
            st.rerun()


def oidc_sign_in_page() -> None:
    """The single sign-on button (st.login)."""
    provider = _gapmap_secrets().get("oidc_provider")
    st.title("gapmap")
    st.write("Sign in with your organisation account to continue.")
    st.button("Sign in", type="primary", on_click=st.login, args=(provider,) if provider else ())


def current_session() -> Session:
    """Who is signed in for this run; :data:`NOBODY` (no permission at all) when nobody is.

    Local mode (no sign-in configured, the app on 127.0.0.1 only) is an editor: the person at
    the computer owns the data. The map still starts in the aggregated view.
    """
    method = signin_method()
    if method == "oidc":
        return _oidc_session() or NOBODY
    if method == "password":
        name = st.session_state.get(SESSION_USER)
        users = local_users()
        if name in users:
            return Session(name, users[name].role, "password")
        st.session_state.pop(SESSION_USER, None)  # removed since: signed out
        return NOBODY
    if address_refused():
        return NOBODY
    return Session(f"{registry.current_user()} (this computer)", "editor", "local")


def sign_in() -> Session:
    """The signed-in session; until there is one, the only page is the sign-in (or refusal) page.

    Those pages go through ``st.navigation`` too, so the page files are never listed or run
    before someone has signed in.
    """
    if address_refused():
        page = refusal_page
    elif gate_missing():
        page = gate_page
    else:
        who = current_session()
        if who is not NOBODY:
            gate.admit_this_session()  # uploads, downloads and outline files for this session
            return who
        page = oidc_sign_in_page if signin_method() == "oidc" else sign_in_page
    # The sign-in page answers at every page's address too, so a deep link (a bookmark, a link in
    # an e-mail) asks for sign-in and then opens the page asked for, with no "page not found".
    # The accessibility statement is open to everyone, before signing in too.
    here = [st.Page(page, title="Sign in", url_path="sign-in", default=True)]
    here += [st.Page(page, title="Sign in", url_path=path) for path in _page_paths() if path != "accessibility"]
    here.append(st.Page("pages/accessibility.py", title="Accessibility"))
    st.navigation(here, position="hidden").run()
    st.stop()


def _page_paths() -> list[str]:
    """URL paths of the app's pages (``pages/NAME.py`` is served at ``/NAME``)."""
    return sorted(p.stem for p in (PACKAGE_ROOT / "pages").glob("*.py") if not p.stem.startswith("_"))


def role() -> str:
    """The signed-in role ("" when nobody is signed in: no permission at all)."""
    return current_session().role


def may(action: str) -> bool:
    """Whether the signed-in role may do ``action`` (see :data:`gapmap.auth.ACTIONS`)."""
    return auth.can(role(), action)


def require(action: str) -> Session:
    """Stop the page with a message unless the signed-in role may do ``action``."""
    who = current_session()
    if not auth.can(who.role, action):
        st.error("Your role does not give access to this page. Ask an administrator if you need it.")
        st.stop()
    return who


def signed_in_box(who: Session) -> None:
    """Sidebar line with the user and role, and a sign-out button."""
    if who.method == "local":
        st.caption("Local mode: this computer only, no sign-in.")
        return
    st.caption(f"Signed in as **{plain(who.user)}** ({who.role})")
    if st.button("Sign out", key="_sign_out"):
        if who.method == "oidc":
            st.logout()
        st.session_state.pop(SESSION_USER, None)
        gate.leave_this_session()
        st.rerun()
