"""Errors raised by the data machinery.

Every error is a :class:`DataError`, itself a ``ValueError``, so callers can catch
one type. Each message says what went wrong and what to do about it.

>>> err = RawDataError("train.csv is missing from /tmp/raw; download the full competition data")
>>> isinstance(err, DataError), isinstance(err, ValueError)
(True, True)
"""

from __future__ import annotations

from competitions.catalogue import UnknownCompetition
from schemas.prepared import PreparedContractError


class DataError(ValueError):
    """Base class of every data-machinery error."""


class RawDataError(DataError):
    """The raw Kaggle download is missing, incomplete, truncated or changed."""


class PreparedDataError(DataError, PreparedContractError):
    """A prepared competition breaks the prepared contract (ids, leakage, dtypes), or its preparer failed.

    Also a :class:`schemas.prepared.PreparedContractError`, which the contract itself raises.
    """


class StoreError(DataError):
    """The versioned store cannot be read or written (permissions, disk, git)."""


class ChecksumError(StoreError):
    """A stored file does not match the sha256 recorded in its manifest."""


class UnknownVersionError(StoreError):
    """The requested competition version is not in the store or the Hub repository."""


class NotPreparedError(DataError):
    """A competition asked for by run, grade or validation has no prepared data (store or data folder)."""


class UnknownCompetitionError(UnknownCompetition, DataError):
    """No spec or preparer exists for the competition id asked for.

    The data machinery's spelling of :class:`competitions.UnknownCompetition` (also a ``KeyError``): an
    ``except`` of either catches it.

    >>> err = UnknownCompetitionError.for_id("nope")
    >>> isinstance(err, UnknownCompetition), isinstance(err, DataError), str(err)
    (True, True, "unknown competition 'nope'; `mle-bench list` shows the known ids")
    """


class KaggleAccessError(DataError):
    """The Kaggle API cannot be used: no package, no credentials, or rules not accepted."""


def rules_url(competition_id: str) -> str:
    """Return the Kaggle rules page a user must accept before downloading.

    Parameters
    ----------
    competition_id : str
        The Kaggle competition slug.

    >>> rules_url("spaceship-titanic")
    'https://www.kaggle.com/c/spaceship-titanic/rules'
    """
    return f"https://www.kaggle.com/c/{competition_id}/rules"


__all__ = [
    "DataError",
    "RawDataError",
    "PreparedDataError",
    "StoreError",
    "ChecksumError",
    "UnknownVersionError",
    "KaggleAccessError",
    "UnknownCompetitionError",
    "rules_url",
]
