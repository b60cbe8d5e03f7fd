"""Backends run one agent run each behind one small interface, selected by name."""

from __future__ import annotations

from runner.backends.base import Backend, InfrastructureError, RunOutcome, RunRequest

BACKENDS = ("local", "docker", "ray")


def get_backend(name: str, **options) -> Backend:
    """The backend called ``name``: ``local``, ``docker`` or ``ray`` (options go to its constructor).

    >>> get_backend("local").name
    'local'
    """
    if name == "local":
        from runner.backends.local import LocalBackend

        return LocalBackend(**options)
    if name == "docker":
        from runner.backends.docker import DockerBackend

        return DockerBackend(**options)
    if name == "ray":
        from runner.backends.ray import RayBackend

        return RayBackend(**options)
    raise ValueError(f"unknown backend {name!r}; use one of {', '.join(BACKENDS)}")


__all__ = ["BACKENDS", "Backend", "InfrastructureError", "RunOutcome", "RunRequest", "get_backend"]
