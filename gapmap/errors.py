"""Typed errors and warnings raised by gapmap."""

from __future__ import annotations


class GapmapError(Exception):
    """Base class for every error gapmap raises on purpose."""


class UnknownCouncilError(GapmapError, KeyError):
    """A council code or name that is not in the shipped council list.

    Parameters
    ----------
    query
        What the user asked for.
    suggestions
        ``(code, name)`` pairs of close matches, best first.
    """

    def __init__(self, query: str, suggestions: list[tuple[str, str]]) -> None:
        self.query = query
        self.suggestions = suggestions
        super().__init__(query)

    def __str__(self) -> str:
        msg = f"unknown council {self.query!r}"
        if self.suggestions:
            near = ", ".join(f"{code} ({name})" for code, name in self.suggestions)
            msg += f"; did you mean: {near}?"
        else:
            msg += "; run `python -m gapmap councils` to list the codes"
        return msg


class DataMissingError(GapmapError, FileNotFoundError):
    """A shipped data file is missing: the checkout is incomplete or the data was not built."""


class AreaFileError(GapmapError, ValueError):
    """A user-supplied boundary file that cannot be used, with the reason and what to do."""


class ProviderFileError(GapmapError, ValueError):
    """A provider file that cannot be used at all (unreadable, no location column, too big)."""


class CrsError(GapmapError, ValueError):
    """A GeoDataFrame without a CRS, or in the wrong one for distance work."""


class CostError(GapmapError, ValueError):
    """A cost-table setting that cannot be used (radius or road factor out of range)."""


class LevelError(GapmapError, ValueError):
    """An unknown aggregation level or an invalid level option."""


class SitingError(GapmapError, ValueError):
    """A recruitment plan that cannot be made as asked (number of sites, candidates, options)."""


class OutputError(GapmapError, OSError):
    """An output file or folder that cannot be written (read-only, missing permission, a folder)."""


class RegistryError(GapmapError, RuntimeError):
    """The registry cannot be read or written (locked too long, unreadable, disk full, read-only)."""


class GapmapWarning(UserWarning):
    """A recoverable problem the user should know about (e.g. overlapping areas)."""
