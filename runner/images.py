"""Agent images built locally, with no registry: a tiny shell image and a minimal Python image.

- ``open-mle-bench/busybox``: ``FROM scratch`` plus a static busybox (Debian's ``busybox-static``), 2 MB;
  enough for shell agents such as ``dummy``.
- ``open-mle-bench/python``: a Debian root filesystem made by ``mmdebstrap`` with python3, imported as an image
  (no pip inside; mount or copy libraries in). Built once and cached as a tarball.
"""

from __future__ import annotations

import contextlib
import fcntl
import io
import shutil
import tempfile
import subprocess
import tarfile
from pathlib import Path
from typing import Any

BUSYBOX_IMAGE = "open-mle-bench/busybox:latest"
PYTHON_IMAGE = "open-mle-bench/python:latest"


class ImageBuildError(RuntimeError):
    """An image could not be built; the message names the missing tool or the failing step."""


def _busybox_binary() -> Path:
    for candidate in ("/bin/busybox", "/usr/bin/busybox"):
        path = Path(candidate)
        # Only a static busybox runs in a scratch image (Debian's busybox-static, not busybox).
        if path.is_file() and b"/lib64/ld-linux" not in path.read_bytes()[:4096]:
            return path
    raise ImageBuildError("no static busybox found: apt-get install busybox-static")


@contextlib.contextmanager
def _build_lock(name: str):
    """One builder at a time per image on this machine (parallel test workers ask for the same image)."""
    path = Path(tempfile.gettempdir()) / f"open-mle-bench-{name}.lock"
    with path.open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def build_busybox_image(client: Any, tag: str = BUSYBOX_IMAGE) -> str:
    """Build the shell image from a static busybox; return its id. Does nothing if ``tag`` exists."""
    with _build_lock("busybox"):
        return _build_busybox_image(client, tag)


def _build_busybox_image(client: Any, tag: str) -> str:
    import docker.errors

    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        pass
    dockerfile = (
        b"FROM scratch\nCOPY busybox /bin/busybox\n"
        b'RUN ["/bin/busybox", "--install", "-s", "/bin"]\nENV PATH=/bin\n'
    )
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
        tar.add(str(_busybox_binary()), arcname="busybox")
    context.seek(0)
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True)
    return image.id


def build_python_image(client: Any, cache_dir: Path, tag: str = PYTHON_IMAGE) -> str:
    """Import a minimal Debian + python3 root filesystem as ``tag`` (mmdebstrap, cached); return its id."""
    with _build_lock("python"):
        return _build_python_image(client, cache_dir, tag)


def _build_python_image(client: Any, cache_dir: Path, tag: str) -> str:
    import docker.errors

    try:
        return client.images.get(tag).id
    except docker.errors.ImageNotFound:
        pass
    cache_dir.mkdir(parents=True, exist_ok=True)
    rootfs = cache_dir / "python-rootfs.tar"
    if not rootfs.is_file():
        if shutil.which("mmdebstrap") is None:
            raise ImageBuildError("mmdebstrap is not installed: apt-get install mmdebstrap")
        tmp = rootfs.with_suffix(".partial.tar")
        result = subprocess.run(
            ["mmdebstrap", "--variant=essential", "--include=python3-minimal,python3", "bookworm", str(tmp)],
            capture_output=True, text=True,
        )
        if result.returncode != 0:
            raise ImageBuildError(f"mmdebstrap failed: {result.stderr[-2000:]}")
        tmp.replace(rootfs)
    repository, _, version = tag.partition(":")
    client.api.import_image_from_file(str(rootfs), repository=repository, tag=version or "latest")
    return client.images.get(tag).id
