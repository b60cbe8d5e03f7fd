"""Imported once by the server process that bounded children fork from (:mod:`runner.bounded`): it loads the
competition catalogue and runs one small validation, so every child starts with the specs parsed and the
contract machinery warm instead of paying for it on each grading (about a second of CPU each)."""

from __future__ import annotations


def warm() -> None:
    """Parse every spec and exercise one submission contract (errors are left to the real calls)."""
    try:
        import pandas as pd

        import competitions
        import schemas

        for cid in competitions.ids("all"):
            competitions.get(cid)
        frame = pd.DataFrame({"id": ["a"], "EAP": [0.3], "HPL": [0.3], "MWS": [0.4]})
        schemas.validate("spooky-author-identification", frame, frame[["id"]])
    except Exception:  # noqa: BLE001 - a broken catalogue is reported by the call that needs it
        pass


warm()
