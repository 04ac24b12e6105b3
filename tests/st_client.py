"""A minimal Streamlit websocket client (the browser's side of the protocol) for tests and bench/.

It opens ``/_stcore/stream`` as the browser does, asks for script runs with chosen widget values
and reads the ForwardMsgs back: the session id, the pages, the widgets drawn (label → id and
options) and whether a run finished or raised. No browser, so thirty of them fit on a laptop.
Used by the request-gate attacks (tests/test_server_gate.py), the two-server tests and
``bench/bench_load.py``.
"""

from __future__ import annotations

import re
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from streamlit.proto.WidgetStates_pb2 import WidgetState, WidgetStates
from websockets.sync.client import connect

XSRF_COOKIE = "_streamlit_xsrf"
_OUTLINES = re.compile(rb"[A-Za-z0-9_/.-]*/app/static/cache/areas-[0-9a-f]+\.polylines\.json")


@dataclass
class Widget:
    """A widget the last run drew."""

    kind: str
    id: str
    options: tuple[str, ...] = ()


@dataclass
class RunResult:
    """What one script run sent back."""

    seconds: float
    status: str
    texts: list[str] = field(default_factory=list)
    exceptions: list[str] = field(default_factory=list)


class Client:
    """One browser tab's session against a running server at ``base`` (``http://host:port/path``)."""

    def __init__(self, base: str, *, timeout: float = 120.0) -> None:
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.cookie = _xsrf_cookie(self.base)
        ws_url = "ws" + self.base[len("http") :] + "/_stcore/stream"
        origin = urllib.parse.urlsplit(self.base)
        self.ws = connect(
            ws_url,
            subprotocols=["streamlit"],
            origin=f"{origin.scheme}://{origin.netloc}",
            additional_headers={"Cookie": f"{XSRF_COOKIE}={self.cookie}"} if self.cookie else None,
            max_size=None,
            open_timeout=timeout,
            legacy=True,  # a plain object, closed by close() (websockets >= 17.1)
        )
        self.session_id = ""
        self.pages: dict[str, str] = {}  # page name -> page script hash
        self.page_hash = ""
        self.widgets: dict[str, Widget] = {}
        self.states: dict[str, WidgetState] = {}
        self.downloads: dict[str, str] = {}  # download button label -> its /media/ address
        self.outlines: list[str] = []  # outline file addresses the live maps were given

    def close(self) -> None:
        """Close the websocket (the session ends as when a tab closes)."""
        self.ws.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # --- runs ------------------------------------------------------------------------------

    def run(self, *, query: str = "", page: str | None = None) -> RunResult:
        """Ask for a script run with the widget values set so far; wait for it to finish."""
        if page is not None:
            self.page_hash = self.pages[page]
        msg = BackMsg(
            rerun_script=ClientState(
                query_string=query,
                widget_states=WidgetStates(widgets=list(self.states.values())),
                page_script_hash=self.page_hash,
            )
        )
        started = time.perf_counter()
        self.ws.send(msg.SerializeToString())
        return self._until_finished(started)

    def _until_finished(self, started: float) -> RunResult:
        result = RunResult(0.0, "")
        deadline = time.monotonic() + self.timeout
        while True:
            raw = self.ws.recv(timeout=max(0.1, deadline - time.monotonic()))
            fwd = ForwardMsg()
            fwd.ParseFromString(raw)
            kind = fwd.WhichOneof("type")
            if kind == "new_session":
                self._new_session(fwd.new_session)
            elif kind == "delta":
                self._delta(fwd.delta, result)
            elif kind == "navigation":
                nav = fwd.navigation
                self.pages = {p.page_name: p.page_script_hash for p in nav.app_pages}
                self.page_hash = nav.page_script_hash or self.page_hash
            elif kind == "script_finished":
                status = ForwardMsg.ScriptFinishedStatus.Name(fwd.script_finished)
                if status == "FINISHED_EARLY_FOR_RERUN":
                    continue  # st.rerun(): the next run follows on its own
                result.seconds = time.perf_counter() - started
                result.status = status
                return result

    def _new_session(self, new) -> None:
        self.session_id = new.initialize.session_id or self.session_id
        if new.app_pages:
            self.pages = {p.page_name: p.page_script_hash for p in new.app_pages}
        self.page_hash = new.page_script_hash or self.page_hash

    def _delta(self, delta, result: RunResult) -> None:
        if delta.WhichOneof("type") != "new_element":
            return
        element = delta.new_element
        kind = element.WhichOneof("type")
        if kind == "exception":
            result.exceptions.append(element.exception.message)
            return
        if kind == "metric":
            result.texts.append(f"{element.metric.label}: {element.metric.body}")
            return
        if kind in ("markdown", "alert", "heading", "text", "caption"):
            body = getattr(element, kind).body
            result.texts.append(body)
            return
        proto = getattr(element, kind, None) if kind else None
        if kind == "download_button" and proto.url:
            self.downloads[proto.label] = proto.url
        for found in _OUTLINES.findall(element.SerializeToString()):
            if found.decode() not in self.outlines:
                self.outlines.append(found.decode())
        widget_id = getattr(proto, "id", "") if proto is not None else ""
        label = getattr(proto, "label", "")
        if widget_id and label:
            options = tuple(getattr(proto, "options", ()) or ())
            self.widgets[label] = Widget(kind, widget_id, tuple(str(o) for o in options))

    def outline_urls(self) -> list[str]:
        """Outline file addresses the live maps have been given so far."""
        return list(self.outlines)

    # --- widget values ---------------------------------------------------------------------

    def set(self, label: str, value) -> None:
        """Set a widget's value for the next run (the value as the browser sends it)."""
        widget = self.widgets[label]
        state = WidgetState(id=widget.id)
        if widget.kind == "slider":
            state.double_array_value.data[:] = [float(value)]
        elif widget.kind in ("selectbox", "text_input", "radio"):
            state.string_value = str(value)
        elif widget.kind == "checkbox":
            state.bool_value = bool(value)
        else:
            raise ValueError(f"no setter for {widget.kind}")
        self.states[widget.id] = state

    def click(self, label: str) -> RunResult:
        """Press a button (a form's submit button too) and wait for the run."""
        widget = self.widgets[label]
        self.states[widget.id] = WidgetState(id=widget.id, trigger_value=True)
        try:
            return self.run()
        finally:
            self.states.pop(widget.id, None)  # a trigger is true for one run only

    def sign_in(self, name: str, password: str) -> RunResult:
        """Fill the local sign-in form and submit it."""
        self.set("User name", name)
        self.set("Password", password)
        result = self.click("Sign in")
        for label in ("User name", "Password"):
            self.states.pop(self.widgets[label].id, None)
        return result


def _xsrf_cookie(base: str) -> str:
    """The XSRF cookie the server sets with its health check (the browser's first request)."""
    with urllib.request.urlopen(base + "/_stcore/health", timeout=30) as response:
        for header in response.headers.get_all("Set-Cookie") or []:
            name, _, rest = header.partition("=")
            if name.strip() == XSRF_COOKIE:
                return rest.split(";", 1)[0]
    return ""
