"""Where schemas finds a competition's submission format when it is given only an id.

Schemas knows nothing of the catalogue. A package that has specs registers a *spec source*: a callable
``source(competition_id) -> spec`` (anything with the :class:`~schemas.columns.SubmissionSpec` attributes)
that raises ``KeyError`` for an id it does not know. Sources are registered by calling
:func:`register_spec_source` (``competitions`` does so when it is imported) or declared as an entry point
of the group ``open_mle_bench.spec_sources``, loaded the first time an id is looked up, so that
``schemas.validate("<id>", ...)`` works in an interpreter that imported nothing but ``schemas``. A spec object
passed instead of an id is used as it is, without any source.

>>> from schemas.columns import SubmissionColumn, SubmissionFormat
>>> toy = SubmissionFormat("toy-specs", ("id",), (SubmissionColumn("id"),))
>>> source = register_spec_source(lambda cid: {"toy-specs": toy}[cid])
>>> spec_for("toy-specs") is toy, spec_for(toy) is toy
(True, True)
>>> unregister_spec_source(source)
"""

from __future__ import annotations

import threading
from importlib.metadata import entry_points
from typing import Any, Callable

from schemas.columns import SubmissionSpec

__all__ = [
    "ENTRY_POINT_GROUP", "NoSpecSource", "SpecSource", "register_spec_source", "unregister_spec_source",
    "spec_sources", "spec_for",
]

#: The entry-point group of spec sources (``[project.entry-points."open_mle_bench.spec_sources"]``).
ENTRY_POINT_GROUP = "open_mle_bench.spec_sources"

SpecSource = Callable[[str], Any]

_SOURCES: list[SpecSource] = []
_LOCK = threading.Lock()
_ENTRY_POINTS_LOADED = False


class NoSpecSource(LookupError):
    """A competition id was given but no spec source is registered or declared to look it up."""


def register_spec_source(source: SpecSource) -> SpecSource:
    """Add a spec source (``source(competition_id) -> spec``, ``KeyError`` when unknown) and return it;
    registering the same callable twice adds it once."""
    with _LOCK:
        if source not in _SOURCES:
            _SOURCES.append(source)
    return source


def unregister_spec_source(source: SpecSource) -> None:
    """Remove a registered spec source (nothing happens when it is not registered)."""
    with _LOCK:
        if source in _SOURCES:
            _SOURCES.remove(source)


def spec_sources() -> list[SpecSource]:
    """The registered sources, after loading those declared as entry points, in registration order."""
    _load_entry_points()
    with _LOCK:
        return list(_SOURCES)


def _load_entry_points() -> None:
    global _ENTRY_POINTS_LOADED
    if _ENTRY_POINTS_LOADED:
        return
    found = entry_points(group=ENTRY_POINT_GROUP)
    loaded = [ep.load() for ep in sorted(found, key=lambda ep: ep.name)]
    for source in loaded:
        register_spec_source(source)
    _ENTRY_POINTS_LOADED = True


def spec_for(competition: str | SubmissionSpec) -> SubmissionSpec:
    """The spec of ``competition``: the object itself when it is not a string, else what the first source
    that knows the id returns. When every source raises ``KeyError``, the first such error propagates
    (``competitions`` raises its ``UnknownCompetition``); :class:`NoSpecSource` when there is no source."""
    if not isinstance(competition, str):
        return competition
    with _LOCK:
        registered = list(_SOURCES)
    first_error: KeyError | None = None
    tried: list[SpecSource] = []
    for sources in (registered, None):
        if sources is None:  # no registered source knows the id: add the declared ones and try those
            if _ENTRY_POINTS_LOADED:
                break
            sources = [s for s in spec_sources() if s not in tried]
        for source in sources:
            tried.append(source)
            try:
                return source(competition)
            except KeyError as err:
                first_error = first_error or err
    if first_error is not None:
        raise first_error
    raise NoSpecSource(
        f"no spec source can look up competition {competition!r}: install the competitions package (it "
        f"declares the entry point group {ENTRY_POINT_GROUP!r}) or pass a spec object instead of an id"
    )
