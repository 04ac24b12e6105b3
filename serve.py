"""gapmap for a network: ``streamlit run serve.py`` (the app in app.py behind gapmap's request gate).

Streamlit's public ``st.App`` runs app.py with :class:`pages._server.GuardMiddleware` in front
of every HTTP request: uploads only into signed-in sessions (bounded in number and size),
downloads (``/media/``) and area outline files only to a browser with a signed-in session open.
``streamlit run app.py`` still serves this computer only (local mode, no sign-in); with sign-in
configured, app.py refuses to run without this gate.
"""

import streamlit as st
from starlette.middleware import Middleware

from pages._server import GuardMiddleware

app = st.App("app.py", middleware=[Middleware(GuardMiddleware)])
