"""Text from users made safe for Streamlit markdown (one rule for every message and heading)."""

from __future__ import annotations

import re

_AUTOLINK = re.compile(r"(?i)\b(?:https?|ftp|mailto|www)|@")
_MARKDOWN_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:=&])")


def plain(text: object) -> str:
    """User text made safe for Streamlit markdown: every markup character escaped, one line.

    File names, cell values and names typed by users reach messages; unescaped, ``![x](url)``
    would fetch an image, ``[x](url)`` would render a link and ``:red[x]`` would style text.
    """
    text = _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(str(text).split()))
    # Escapes do not stop GitHub-style autolinks (http://…, www.…, a@b.org): a zero-width space does.
    return _AUTOLINK.sub(lambda m: m.group(0) + "\u200b", text)
