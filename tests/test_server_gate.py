"""Attacks on the web server outside a session (issue #18, "also found"), and the gate that stops them.

- uploads from a session that has not signed in, and without bound;
- an editor's records export fetched from ``/media/`` without sign-in, and after the editor left;
- the outline files of the live map (own areas: names) fetched without sign-in;
- a provider's name rendered as markdown (images fetched from the web) in a page heading.
"""

from __future__ import annotations

import contextlib
import inspect
import urllib.error
import urllib.request
import uuid
from pathlib import Path

import pytest

from gapmap import auth
from gapmap.cli import main as cli_main
from pages import _server
from tests.servers import ROOT

PASSWORD = "correct horse battery staple"


# --- The Streamlit internals the gate relies on (fails when Streamlit changes them) ---------


def test_streamlit_internals_the_gate_uses_are_there():
    import streamlit as st
    from streamlit.runtime import Runtime
    from streamlit.runtime.memory_uploaded_file_manager import MemoryUploadedFileManager
    from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx
    from streamlit.web.server.starlette import starlette_routes
    from streamlit.web.server.starlette.starlette_app_utils import (
        decode_xsrf_token_string,
        generate_xsrf_token_string,
    )

    assert "middleware" in inspect.signature(st.App).parameters
    assert callable(Runtime.exists) and callable(Runtime.is_active_session)
    assert isinstance(inspect.getattr_static(Runtime, "uploaded_file_mgr"), property)
    manager = MemoryUploadedFileManager("/_stcore/upload_file")
    assert manager.file_storage.get("nobody", {}) == {}
    manager.remove_session_files("nobody")
    assert get_script_run_ctx() is None
    token = b"0123456789abcdef"
    assert decode_xsrf_token_string(generate_xsrf_token_string(token, None))[0] == token
    # The paths the gate matches are Streamlit's own.
    assert starlette_routes.BASE_ROUTE_UPLOAD_FILE == "_stcore/upload_file"
    assert starlette_routes.BASE_ROUTE_MEDIA == "media"
    assert _server._UPLOAD.search("/gapmap/_stcore/upload_file/s-1/f-2")["session"] == "s-1"
    assert _server._PRIVATE.search("/gapmap/media/abc.csv")
    assert _server._PRIVATE.search("/app/static/cache/areas-1.json")
    assert not _server._PRIVATE.search("/app/static/vendor/leaflet/leaflet.js")
    # Streamlit's own fonts (the icons' font) are public files: refusing them printed icon names.
    assert not _server._PRIVATE.search("/static/media/MaterialSymbols-Rounded.nEdyypZU.woff2")
    assert not _server._PRIVATE.search("/gapmap/static/media/SourceSansVF-Upright.ttf.woff2")


def test_gate_refuses_without_a_signed_in_session():
    gate = _server.Gate()
    assert gate.refusal("PUT", "/_stcore/upload_file/someone/file-1", None)[0] == 403
    assert gate.refusal("GET", "/media/0123abcd.csv", None)[0] == 403
    assert gate.refusal("GET", "/app/static/cache/areas-0123.polylines.json", "2|00|00|1")[0] == 403
    assert gate.refusal("GET", "/app/static/vendor/leaflet/leaflet.js", None) is None
    assert gate.refusal("GET", "/_stcore/health", None) is None


# --- Markdown in names ---------------------------------------------------------------------

EVIL = "Evil ![pixel](http://127.0.0.1:9/p.png) [link](http://127.0.0.1:9/) :red[**bold**]"


@pytest.mark.slow
def test_provider_name_is_not_markdown_in_the_what_if_heading(tmp_path, monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setenv("GAPMAP_HOME", str(tmp_path))
    records = tmp_path / "providers.csv"
    records.write_text(
        "id,name,kind,services,capacity,start_date,postcode\n"
        f'X-1,"{EVIL}",day_centre,day activities,30,01/01/2005,TA7 0LU\n',
        encoding="utf-8",
    )
    assert cli_main(["import", str(records), "--council", "E06000066", "--by", "Setup"]) == 0
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=300)
    at.session_state["privacy"] = "exact"  # local mode is an editor: names are shown
    at.run()
    at.switch_page("pages/closures.py").run()
    at.session_state["chg_view"] = "What if this closes?"
    at.run()
    at.button(key="what_go").click().run()
    assert not at.exception
    heading = [m.value for m in at.markdown if "closes**" in m.value]
    assert heading, [m.value for m in at.markdown]
    # Every markup character is escaped: no image, link or colour reaches the browser as markup.
    assert "![" not in heading[0] and "](" not in heading[0] and ":red[" not in heading[0]
    assert r"\!\[pixel\]" in heading[0]


# --- A real server behind the gate ---------------------------------------------------------

RECORDS = """id,name,kind,services,capacity,start_date,postcode
ZQX-001,Zebedee Quartermain Care,micro_enterprise,home care,3,01/01/2020,TA1 4LH
ZQX-005,Hollowmere Day Centre,day_centre,day activities,30,01/01/2005,TA7 0LU
"""


def make_home(home: Path) -> Path:
    """A GAPMAP_HOME with two records and an editor and a viewer signing in with passwords."""
    home.mkdir(parents=True, exist_ok=True)
    records = home / "providers.csv"
    records.write_text(RECORDS, encoding="utf-8")
    import os

    old = os.environ.get("GAPMAP_HOME")
    os.environ["GAPMAP_HOME"] = str(home)
    try:
        assert cli_main(["import", str(records), "--council", "E06000066", "--by", "Setup"]) == 0
    finally:
        if old is None:
            os.environ.pop("GAPMAP_HOME")
        else:
            os.environ["GAPMAP_HOME"] = old
    users = auth.add_user({}, "ed", "editor", PASSWORD)
    users = auth.add_user(users, "vera", "viewer", PASSWORD)
    auth.write_users(auth.users_path(home), users)
    return home


def put_file(client, file_id: str, size: int) -> int:
    """PUT a file into ``client``'s session as the browser's uploader does; the HTTP status.

    A refused upload is answered before its body is read, so the sender may see its pipe close
    mid-body: the answer is read all the same.
    """
    import http.client
    import urllib.parse

    boundary = uuid.uuid4().hex
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n'
            "Content-Type: text/csv\r\n\r\n"
        ).encode()
        + b"x" * size
        + f"\r\n--{boundary}--\r\n".encode()
    )
    where = urllib.parse.urlsplit(f"{client.base}/_stcore/upload_file/{client.session_id}/{file_id}")
    conn = http.client.HTTPConnection(where.hostname, where.port, timeout=60)
    headers = {
        "Content-Type": f"multipart/form-data; boundary={boundary}",
        "X-Xsrftoken": client.cookie,
        "Cookie": f"_streamlit_xsrf={client.cookie}",
    }
    try:
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            conn.request("PUT", where.path, body=body, headers=headers)
        return conn.getresponse().status
    finally:
        conn.close()


def get(url: str, cookie: str | None = None) -> tuple[int, bytes]:
    request = urllib.request.Request(url, headers={"Cookie": f"_streamlit_xsrf={cookie}"} if cookie else {})
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def status_of(request) -> int:
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status
    except urllib.error.HTTPError as exc:
        return exc.code


def uploaded_bytes(url: str) -> int:
    """Bytes the server holds in uploaded files (Streamlit's own metrics endpoint)."""
    _, text = get(f"{url}/_stcore/metrics")
    for line in text.decode().splitlines():
        if line.startswith('cache_memory_bytes{cache_type="UploadedFileManager"'):
            return int(line.rsplit(" ", 1)[1])
    return 0


def wait_for(predicate, timeout: float = 20.0) -> bool:
    import time

    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.25)
    return predicate()


@pytest.fixture(scope="module")
def gated(tmp_path_factory):
    from tests.servers import app_server

    home = make_home(tmp_path_factory.mktemp("gated") / "home")
    with app_server(home) as (url, _):
        yield url


@pytest.mark.slow
def test_upload_refused_before_sign_in_bounded_after_and_released_when_the_session_ends(gated):
    from tests.st_client import Client

    stranger = Client(gated)
    stranger.run()
    assert "Sign in to continue." in " ".join(stranger.widgets) + " ".join(stranger.run().texts)
    size = 2 * 1024 * 1024
    assert put_file(stranger, "f-0", size) == 403  # not signed in: nothing stored
    stranger.close()

    editor = Client(gated)
    editor.run()
    assert editor.sign_in("ed", PASSWORD).status == "FINISHED_SUCCESSFULLY"
    statuses = [put_file(editor, f"f-{i}", size) for i in range(_server.MAX_UPLOADS_PER_SESSION + 2)]
    assert statuses == [204] * _server.MAX_UPLOADS_PER_SESSION + [429, 429]
    # (Streamlit's metrics are cached for 5 s.)
    assert wait_for(lambda: uploaded_bytes(gated) == size * _server.MAX_UPLOADS_PER_SESSION)
    editor.close()  # the tab closes: its files are released at once
    assert wait_for(lambda: get(f"{gated}/_stcore/health")[0] == 200 and _released(gated))
    assert put_file(editor, "f-late", 10) in (400, 403)  # the session is gone


def _released(url: str) -> bool:
    # A request through the gate prunes closed sessions; then Streamlit's metrics show no files.
    get(f"{url}/media/none")
    return uploaded_bytes(url) == 0


@pytest.mark.slow
def test_records_export_and_outlines_only_for_a_signed_in_browser(gated):
    from tests.st_client import Client

    editor = Client(gated)
    editor.run()
    editor.sign_in("ed", PASSWORD)
    result = editor.run(page="Provider records")
    assert not result.exceptions
    url = editor.downloads.get("CSV")
    assert url and "/media/" in url, editor.downloads
    full = gated.split("/", 3)[:3]
    media = "/".join(full) + url if url.startswith("/") else url
    status, body = get(media, editor.cookie)
    assert status == 200 and b"Zebedee Quartermain" in body  # the editor's own export
    assert get(media)[0] == 403  # no cookie: someone given the address
    other = Client(gated)  # another browser, with a session that has not signed in
    other.run()
    assert get(media, other.cookie)[0] == 403
    # The map's outline files: only to a browser with a signed-in session.
    editor.run(page="Where care is short")
    outline = editor.outline_urls()
    assert outline, "the gaps page published no outlines"
    outline_url = "/".join(full) + outline[0]
    assert get(outline_url, editor.cookie)[0] == 200
    assert get(outline_url)[0] == 403 and get(outline_url, other.cookie)[0] == 403
    other.close()
    editor.close()  # the editor leaves: the export is gone with the session
    assert wait_for(lambda: get(media, editor.cookie)[0] == 403)
    assert get(outline_url, editor.cookie)[0] == 403
