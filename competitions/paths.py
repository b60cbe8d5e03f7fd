"""Where this package keeps files on the host: the one home/cache rule, shared with the data store."""

from __future__ import annotations

import os
from pathlib import Path

__all__ = ["ENV_HOME", "APP_DIR", "home"]

#: environment variable naming the home folder outright
ENV_HOME = "MLE_BENCH_HOME"
#: the folder's name inside the user cache
APP_DIR = "open-mle-bench"


def home() -> Path:
    """The home folder: ``$MLE_BENCH_HOME``, else ``$XDG_CACHE_HOME/open-mle-bench``, else
    ``~/.cache/open-mle-bench`` (an empty variable counts as unset).

    >>> import os
    >>> saved = {k: os.environ.pop(k, None) for k in ("MLE_BENCH_HOME", "XDG_CACHE_HOME")}
    >>> os.environ["XDG_CACHE_HOME"] = "/tmp/cache"
    >>> str(home())
    '/tmp/cache/open-mle-bench'
    >>> os.environ["MLE_BENCH_HOME"] = "/tmp/mlb-home"
    >>> str(home())
    '/tmp/mlb-home'
    >>> for k, v in saved.items():
    ...     _ = os.environ.pop(k, None) if v is None else os.environ.__setitem__(k, v)
    """
    explicit = os.environ.get(ENV_HOME)
    if explicit:
        return Path(explicit)
    cache = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(cache) / APP_DIR
