"""The README's table of competitions, made from the catalogue: ``python -m mlebench.catalogue_table README.md``.

The table sits between two marker lines of the README; a test checks it is current, so it always says what
the code holds (split, category, metric and direction, whether the data can be prepared, known issues).

>>> "| spooky-author-identification | lite |" in markdown_table()
True
"""

from __future__ import annotations

import sys
from pathlib import Path

import competitions
from mle_datasets.preparers import preparer_ids

__all__ = ["markdown_table", "update_readme", "BEGIN", "END"]

BEGIN = "<!-- competitions table: made by `python -m mlebench.catalogue_table README.md` -->"
END = "<!-- end of competitions table -->"
_SPLITS = {"low": "lite", "medium": "medium", "high": "high", "dev": "dev"}


def markdown_table() -> str:
    """One row per competition, by split then id."""
    prepared = set(preparer_ids())
    order = list(_SPLITS)
    rows = sorted((competitions.get(cid) for cid in competitions.ids()), key=lambda c: (order.index(c.split), c.id))
    lines = ["| competition | split | category | metric | better | data preparation | known issues (change scores) |",
             "|---|---|---|---|---|---|---|"]
    for c in rows:
        changing = sum(1 for issue in c.known_issues if issue.affects_score)
        issues = f"{len(c.known_issues)} ({changing})" if c.known_issues else "-"
        lines.append(f"| {c.id} | {_SPLITS[c.split]} | {c.category} | {c.metric} | "
                     f"{'lower' if c.lower_is_better else 'higher'} | {'yes' if c.id in prepared else 'not yet'} | "
                     f"{issues} |")
    ready = sum(1 for c in rows if c.id in prepared)
    lines.append("")
    lines.append(f"{ready} of {len(rows)} competitions can be prepared from their raw Kaggle download.")
    return "\n".join(lines)


def update_readme(path: str | Path) -> bool:
    """Rewrite the table between :data:`BEGIN` and :data:`END` in ``path``; True when it changed."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    if BEGIN not in text or END not in text:
        raise ValueError(f"{path} has no competitions table markers ({BEGIN!r} ... {END!r})")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    new = f"{head}{BEGIN}\n{markdown_table()}\n{END}{tail}"
    if new != text:
        path.write_text(new, encoding="utf-8")
    return new != text


if __name__ == "__main__":  # pragma: no cover
    print("updated" if update_readme(sys.argv[1] if len(sys.argv) > 1 else "README.md") else "already current")
