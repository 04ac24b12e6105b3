"""The app behind a reverse proxy at a sub-path (``server.baseUrlPath = "gapmap"``), in Chromium.

A small Tornado proxy on loopback forwards HTTP and websockets from ``/gapmap/`` to the app, as
a council's nginx would. Through it: sign-in, the map's outline files, a deep link and a
download all work, and the gate still refuses an outline file to a browser that is not signed in.
"""

from __future__ import annotations

import asyncio
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.servers import app_server, free_port
from tests.test_browser import CHROMIUM, _drawn, _map_frame, browser  # noqa: F401 (fixture)
from tests.test_server_gate import PASSWORD, make_home

pytestmark = [pytest.mark.browser, pytest.mark.slow]

_HOP = {"connection", "keep-alive", "transfer-encoding", "upgrade", "content-length", "proxy-connection", "te"}


def _proxy_app(upstream: str):
    """A Tornado application forwarding everything to ``upstream`` (``127.0.0.1:port``)."""
    import tornado.httpclient
    import tornado.web
    import tornado.websocket

    class Http(tornado.web.RequestHandler):
        SUPPORTED_METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH")

        def compute_etag(self):
            return None

        async def _forward(self):
            headers = {k: v for k, v in self.request.headers.get_all() if k.lower() not in _HOP}
            headers["X-Forwarded-Proto"] = "http"
            headers["X-Forwarded-For"] = self.request.remote_ip
            body = self.request.body if self.request.method in ("POST", "PUT", "PATCH", "DELETE") else None
            response = await tornado.httpclient.AsyncHTTPClient().fetch(
                f"http://{upstream}{self.request.uri}",
                method=self.request.method,
                headers=headers,
                body=body,
                allow_nonstandard_methods=True,
                follow_redirects=False,
                decompress_response=False,
                raise_error=False,
                request_timeout=120,
            )
            self.set_status(response.code, response.reason)
            self._headers = tornado.httputil.HTTPHeaders()
            for name, value in response.headers.get_all():
                if name.lower() not in _HOP:
                    self.add_header(name, value)
            if response.body and self.request.method != "HEAD":
                self.write(response.body)

        get = head = post = put = delete = options = patch = _forward

    class Socket(tornado.websocket.WebSocketHandler):
        def select_subprotocol(self, subprotocols):
            self._asked = subprotocols
            return subprotocols[0] if subprotocols else None

        async def open(self):
            headers = {k: v for k, v in self.request.headers.get_all() if k.lower() in ("cookie", "origin")}
            request = tornado.httpclient.HTTPRequest(f"ws://{upstream}{self.request.uri}", headers=headers)
            self.upstream = await tornado.websocket.websocket_connect(
                request, subprotocols=getattr(self, "_asked", None), max_message_size=1 << 30
            )
            asyncio.ensure_future(self._pump())

        async def _pump(self):
            while True:
                message = await self.upstream.read_message()
                if message is None:
                    self.close()
                    return
                try:
                    await self.write_message(message, binary=isinstance(message, bytes))
                except tornado.websocket.WebSocketClosedError:
                    self.upstream.close()
                    return

        async def on_message(self, message):
            try:
                await self.upstream.write_message(message, binary=isinstance(message, bytes))
            except tornado.websocket.WebSocketClosedError:
                self.close()

        def on_close(self):
            if getattr(self, "upstream", None) is not None:
                self.upstream.close()

    return tornado.web.Application(
        [(r"/gapmap/_stcore/stream", Socket), (r"/.*", Http)], websocket_max_message_size=1 << 30
    )


def _run_proxy(upstream: str) -> Iterator[str]:
    """Serve the proxy on a free loopback port in a thread; yield its address."""
    port = free_port()
    ready = threading.Event()
    holder = {}

    def serve():
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)

        async def main():
            server = _proxy_app(upstream).listen(port, address="127.0.0.1")
            holder["stop"] = asyncio.Event()
            holder["loop"] = loop
            ready.set()
            await holder["stop"].wait()
            server.stop()

        loop.run_until_complete(main())
        loop.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        holder["loop"].call_soon_threadsafe(holder["stop"].set)
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def proxied(tmp_path_factory):
    home = make_home(tmp_path_factory.mktemp("subpath") / "home")
    with app_server(home, options={"server.baseUrlPath": "gapmap"}) as (url, _):
        upstream = url.split("//", 1)[1].split("/", 1)[0]
        yield from _run_proxy(upstream)


def _sign_in(page, url: str, link: str = "/gapmap/") -> None:
    page.goto(url + link)
    page.get_by_role("textbox", name="User name").wait_for(timeout=60_000)
    assert page.get_by_text("Page not found").count() == 0
    page.get_by_role("textbox", name="User name").fill("ed")
    page.get_by_role("textbox", name="Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_map_deep_link_and_download_under_a_sub_path(proxied, browser):  # noqa: F811
    page = browser.new_page(viewport={"width": 1400, "height": 1400})
    fetched = []
    page.on("response", lambda r: fetched.append((r.url, r.status)) if "/static/cache/" in r.url else None)
    _sign_in(page, proxied)
    frame = _map_frame(page)
    areas, _ = _drawn(frame)
    assert areas > 50  # Somerset's wards, from the outline file fetched through the proxy
    assert fetched and all(u.startswith(f"{proxied}/gapmap/app/static/cache/") and s == 200 for u, s in fetched)
    # The same outline file, asked for by someone who is not signed in, is refused.
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(fetched[0][0], timeout=30)
    assert refused.value.code == 403
    # A deep link under the sub-path (the sign-in comes first, then the page asked for).
    deep = browser.new_page(viewport={"width": 1400, "height": 1600})
    _sign_in(deep, proxied, "/gapmap/records?council=E06000066")
    deep.get_by_text("Provider records — Somerset").wait_for(timeout=60_000)
    assert deep.url.startswith(f"{proxied}/gapmap/records")
    # A download (the editor's records export) through the proxy.
    with deep.expect_download(timeout=60_000) as download:
        deep.get_by_role("button", name="CSV", exact=True).click()
    body = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Zebedee Quartermain" in body
    deep.close()
    page.close()
