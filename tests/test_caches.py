"""Bounded memory: every Streamlit cache that takes arguments holds a bounded number of entries."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Caches without arguments hold one entry; these take one that cannot vary per visitor.
ONE_PER_SERVER = {"_install_secret"}  # keyed by $GAPMAP_HOME


def _caches() -> list[tuple[str, ast.FunctionDef, set[str]]]:
    found = []
    for path in [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.FunctionDef):
                continue
            for deco in node.decorator_list:
                target = deco.func if isinstance(deco, ast.Call) else deco
                if isinstance(target, ast.Attribute) and target.attr in ("cache_resource", "cache_data"):
                    keywords = {k.arg for k in deco.keywords} if isinstance(deco, ast.Call) else set()
                    found.append((f"{path.name}:{node.name}", node, keywords))
    return found


def test_every_cache_with_arguments_is_bounded():
    caches = _caches()
    assert len(caches) >= 15  # the scan found the app's caches
    unbounded = [
        name
        for name, node, keywords in caches
        if node.args.args and node.name not in ONE_PER_SERVER and not {"max_entries", "ttl"} & keywords
    ]
    assert not unbounded, f"caches with no max_entries/ttl: {unbounded}"


def test_per_council_caches_have_both_a_size_and_an_age_limit():
    per_council = [(name, kw) for name, node, kw in _caches() if node.args.args and node.args.args[0].arg == "code"]
    assert len(per_council) >= 8
    assert all({"max_entries", "ttl"} <= kw for _, kw in per_council), per_council
