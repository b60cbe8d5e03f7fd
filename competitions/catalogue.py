"""The catalogue: competition ids by split, and each competition's spec."""

from __future__ import annotations

from competitions.spec import SPLIT_ALIASES, Competition, all_specs


class UnknownCompetition(KeyError):
    """No spec exists for the competition id asked for."""

    def __str__(self) -> str:
        return str(self.args[0])


def ids(split: str | None = None) -> list[str]:
    """Competition ids, sorted. ``split``: None (all 82), "all" (the 75), "lite"/"low", "medium", "high", "dev".

    >>> import competitions
    >>> len(competitions.ids("lite")), len(competitions.ids("all")), len(competitions.ids())
    (22, 75, 82)
    """
    specs = all_specs()
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
        raise UnknownCompetition(
            f"unknown competition {competition_id!r}; `mle-bench list` shows the known ids"
        ) from None
