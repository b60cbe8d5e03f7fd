"""The catalogue: competition ids by split, and each competition's spec."""

from __future__ import annotations

from competitions.spec import SPLIT_ALIASES, Competition, all_specs
from schemas.specs import register_spec_source


class UnknownCompetition(KeyError):
    """No spec exists for the competition id asked for (the one such error: ``mle_datasets``' errors of the same
    meaning are subclasses). The message names the id and the command that lists the known ids.

    >>> err = UnknownCompetition.for_id("nope")
    >>> str(err), err.competition_id
    ("unknown competition 'nope'; `mle-bench list` shows the known ids", 'nope')
    >>> str(UnknownCompetition.for_id("nope", "no preparer for competition"))
    "no preparer for competition 'nope'; `mle-bench list` shows the known ids"
    """

    def __init__(self, message: str, competition_id: str | None = None) -> None:
        super().__init__(message)
        self.competition_id = competition_id

    @classmethod
    def for_id(cls, competition_id: str, what: str = "unknown competition") -> UnknownCompetition:
        """The error for ``competition_id``: "<what> '<id>'; `mle-bench list` shows the known ids"."""
        return cls(f"{what} {competition_id!r}; `mle-bench list` shows the known ids", competition_id)

    def __str__(self) -> str:  # KeyError would quote the message
        return str(self.args[0])


def ids(split: str | None = None, *, checked: bool = True) -> list[str]:
    """Competition ids, sorted. ``split``: None (all 82), "all" (the 75), "lite"/"low", "medium", "high", "dev".
    ``checked=False`` reads the spec files without checking their references (fast; see ``all_specs``).

    >>> import competitions
    >>> len(competitions.ids("lite")), len(competitions.ids("all")), len(competitions.ids())
    (22, 75, 82)
    """
    specs = all_specs(checked)
    if split is None:
        return sorted(specs)
    if split in ("all", "split75"):
        return sorted(k for k, c in specs.items() if c.in_split75)
    wanted = SPLIT_ALIASES.get(split)
    if wanted is None:
        raise ValueError(f"unknown split {split!r}; use lite, low, medium, high, all or dev")
    return sorted(k for k, c in specs.items() if c.split == wanted)


def get(competition_id: str) -> Competition:
    """The :class:`Competition` for ``competition_id``.

    >>> import competitions
    >>> c = competitions.get("spaceship-titanic")
    >>> c.metric, c.split, c.id_columns
    ('accuracy', 'dev', ('PassengerId',))
    """
    try:
        return all_specs()[competition_id]
    except KeyError:
        raise UnknownCompetition.for_id(competition_id) from None


# schemas looks competition ids up through its spec sources; the catalogue is one (and is declared as the
# entry point ``competitions`` of the group ``open_mle_bench.spec_sources`` for interpreters that did not
# import this package).
register_spec_source(get)
