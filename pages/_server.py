"""The web server's gate: uploads, downloads and outline files only for signed-in sessions.

Streamlit serves three kinds of request outside a session's websocket, each with no check of
its own on who is asking:

- ``PUT /_stcore/upload_file/<session>/<file>``: any live session, signed in or not, could
  store any number of files (up to ``server.maxUploadSize`` each) in the server's memory;
- ``GET /media/<file>``: downloads (an editor's records export: names, postcodes) and images,
  fetchable by anyone holding the address, for as long as Streamlit keeps the file;
- ``GET /app/static/cache/<file>``: the area outlines the live map draws, including the
  outlines and names of a user's own areas.

:class:`GuardMiddleware` (installed by ``serve.py`` through Streamlit's public ``st.App``
middleware) refuses them unless a signed-in session stands behind them:

- an upload goes only to a session that has signed in (``app.py`` admits it on every run with
  :func:`admit`), at most :data:`MAX_UPLOADS_PER_SESSION` files per session and
  :data:`UPLOAD_BUDGET_BYTES` in all; a session that signs out loses its uploaded files at
  once, and one whose tab closed (its websocket) as soon as the gate next looks (any request
  it checks, any script run), rather than after Streamlit's ``server.disconnectedSessionTTL``;
- a download or an outline file goes only to a browser that has a signed-in session open now:
  the request must carry the XSRF cookie token of such a session (the browser sends that cookie
  with every request to the app; another browser, or the same one after the session ended,
  does not have a matching live session).

This is the only module that reaches into Streamlit's internals (the script run's session id,
the XSRF cookie's decoding, the runtime's session and upload bookkeeping). Each use is one of
the small functions at the end; ``tests/test_server_gate.py`` fails if Streamlit changes them.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field

MAX_UPLOADS_PER_SESSION = 4
"""Files one session may hold on the server at once (a provider file, an area file, a
projections table and candidate sites; each up to ``server.maxUploadSize``)."""

UPLOAD_BUDGET_BYTES = 400 * 1024 * 1024
"""All sessions' uploaded files together; beyond it an upload is refused until some are released."""

_UPLOAD = re.compile(r"/_stcore/upload_file/(?P<session>[^/]+)/(?P<file>[^/]+)$")
_PRIVATE = re.compile(r"(?:(?<!/static)/media/[^/]+|/app/static/cache/[^/]+)$")
"""Downloads (``/media/``) and outline files, under any base path. Streamlit's own front-end
files (``/static/media/``: its fonts, the icons' font among them) are public and stay open."""
XSRF_COOKIE = "_streamlit_xsrf"


@dataclass
class Gate:
    """Which sessions have signed in, and the checks made on each request.

    One per server process (:data:`GATE`); the app's script runs and the web server's requests
    share it, under a lock.
    """

    installed: bool = False
    _admitted: dict[str, bytes | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # --- called from the app's script runs --------------------------------------------------

    def admit(self, session_id: str, token: bytes | None) -> None:
        """Record that ``session_id`` is signed in, from the browser holding XSRF ``token``."""
        with self._lock:
            self._admitted[session_id] = token
        self.prune()

    def leave(self, session_id: str) -> None:
        """Forget ``session_id`` (signed out) and release its uploaded files."""
        with self._lock:
            self._admitted.pop(session_id, None)
        _release_uploads(session_id)

    def prune(self) -> None:
        """Forget sessions whose websocket has closed, and release their uploaded files."""
        with self._lock:
            gone = [sid for sid in self._admitted if not _session_alive(sid)]
            for sid in gone:
                del self._admitted[sid]
        for sid in gone:
            _release_uploads(sid)

    # --- called by the middleware, for each request ----------------------------------------

    def refusal(self, method: str, path: str, xsrf_cookie: str | None) -> tuple[int, str] | None:
        """Why a request is refused (HTTP status, message), or None to let it through."""
        upload = _UPLOAD.search(path)
        if upload and method == "PUT":
            return self._upload_refusal(upload["session"])
        if _PRIVATE.search(path) and method in ("GET", "HEAD"):
            token = _xsrf_token(xsrf_cookie)
            self.prune()
            with self._lock:
                live = token is not None and token in self._admitted.values()
            if not live:
                return 403, "Sign in to gapmap to fetch this file."
        return None

    def _upload_refusal(self, session_id: str) -> tuple[int, str] | None:
        self.prune()
        with self._lock:
            admitted = session_id in self._admitted
        if not admitted:
            return 403, "Sign in before uploading files."
        held, total = _upload_usage(session_id)
        if held >= MAX_UPLOADS_PER_SESSION:
            return 429, f"At most {MAX_UPLOADS_PER_SESSION} files at once: remove one first."
        if total >= UPLOAD_BUDGET_BYTES:
            return 503, "The server holds too many uploaded files just now: try again shortly."
        return None

    def admitted_count(self) -> int:
        """How many sessions are signed in now (for tests and the load bench)."""
        with self._lock:
            return len(self._admitted)


GATE = Gate()
"""This server's gate (shared by the middleware and the app's script runs)."""


class GuardMiddleware:
    """ASGI middleware applying :data:`GATE` to every HTTP request (see the module docstring)."""

    def __init__(self, app, gate: Gate = GATE) -> None:
        self.app = app
        self.gate = gate
        gate.installed = True

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] == "http":
            from starlette.requests import Request
            from starlette.responses import PlainTextResponse

            request = Request(scope)
            refused = self.gate.refusal(request.method, request.url.path, request.cookies.get(XSRF_COOKIE))
            if refused is not None:
                status, message = refused
                await PlainTextResponse(message, status_code=status)(scope, receive, send)
                return
        await self.app(scope, receive, send)


def admit_this_session() -> None:
    """Called by the app on every signed-in run: admit the running session (no-op outside a server)."""
    session_id = current_session_id()
    if session_id is None:
        return
    import streamlit as st

    GATE.admit(session_id, _xsrf_token(st.context.cookies.get(XSRF_COOKIE)))


def leave_this_session() -> None:
    """Called by the app when the user signs out."""
    session_id = current_session_id()
    if session_id is not None:
        GATE.leave(session_id)


def unguarded() -> bool:
    """True in a real server started without :class:`GuardMiddleware` (``streamlit run app.py``)."""
    return _runtime() is not None and not GATE.installed


# --- Streamlit internals (each checked by tests/test_server_gate.py) ------------------------


def _runtime():
    """The server's runtime; None outside a server (AppTest installs a mock runtime: not a server)."""
    from streamlit.runtime import Runtime

    if not Runtime.exists():
        return None
    runtime = Runtime.instance()
    return runtime if type(runtime) is Runtime else None


def current_session_id() -> str | None:
    """The running script's session id (None outside a server, e.g. in AppTest)."""
    if _runtime() is None:
        return None
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

    ctx = get_script_run_ctx()
    return ctx.session_id if ctx is not None else None


def _session_alive(session_id: str) -> bool:
    runtime = _runtime()
    return runtime is not None and runtime.is_active_session(session_id)


def _upload_usage(session_id: str) -> tuple[int, int]:
    """Files held by ``session_id``, and bytes held by all sessions together."""
    runtime = _runtime()
    if runtime is None:
        return 0, 0
    storage = runtime.uploaded_file_mgr.file_storage  # {session: {file id: UploadedFileRec}}
    held = len(storage.get(session_id, {}))
    total = sum(len(rec.data) for files in list(storage.values()) for rec in list(files.values()))
    return held, total


def _release_uploads(session_id: str) -> None:
    runtime = _runtime()
    if runtime is not None:
        runtime.uploaded_file_mgr.remove_session_files(session_id)


def _xsrf_token(cookie: str | None) -> bytes | None:
    """The token inside an XSRF cookie (its mask differs from one response to the next)."""
    if not cookie:
        return None
    from streamlit.web.server.starlette.starlette_app_utils import decode_xsrf_token_string

    token, _ = decode_xsrf_token_string(cookie)
    return token or None
