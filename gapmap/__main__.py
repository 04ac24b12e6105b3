"""Entry point for ``python -m gapmap``."""

from gapmap.cli import main

raise SystemExit(main())
