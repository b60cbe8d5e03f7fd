"""Agent images built locally, with no registry: a tiny shell image and a minimal Python image.

- ``open-mle-bench/busybox``: ``FROM scratch`` plus a static busybox (Debian's ``busybox-static``), 2 MB;
  enough for shell agents such as ``dummy``.
- ``open-mle-bench/python``: a Debian root filesystem made by ``mmdebstrap`` with python3 (and ``python``
  linked to it), imported as an image (no pip inside; mount or copy libraries in). Built once and cached as a
  tarball.
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
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, network_mode="none")
    return image.id


#: The Python image's recipe; an image of the tag with another recipe is rebuilt. 2: ``python`` is there too.
PYTHON_RECIPE = "2"
RECIPE_LABEL = "open-mle-bench.recipe"
PYTHON_ROOTFS_IMAGE = "open-mle-bench/python-rootfs:latest"


def build_python_image(client: Any, cache_dir: Path, tag: str = PYTHON_IMAGE) -> str:
    """A minimal Debian + python3 image as ``tag``, with ``python`` as well as ``python3`` (agents and the
    instructions say ``python``); return its id. The root filesystem comes from mmdebstrap (cached as a
    tarball) and is imported once; the image is rebuilt when its recipe label is older than
    :data:`PYTHON_RECIPE`."""
    with _build_lock("python"):
        return _build_python_image(client, cache_dir, tag)


def _build_python_image(client: Any, cache_dir: Path, tag: str) -> str:
    import docker.errors

    try:
        existing = client.images.get(tag)
        if (existing.labels or {}).get(RECIPE_LABEL) == PYTHON_RECIPE:
            return existing.id
        if RECIPE_LABEL not in (existing.labels or {}):  # an image of the first recipe: the bare root filesystem
            existing.tag(*PYTHON_ROOTFS_IMAGE.split(":"))
    except docker.errors.ImageNotFound:
        pass
    try:
        client.images.get(PYTHON_ROOTFS_IMAGE)
    except docker.errors.ImageNotFound:
        _import_python_rootfs(client, cache_dir, PYTHON_ROOTFS_IMAGE)
    dockerfile = (f"FROM {PYTHON_ROOTFS_IMAGE}\nRUN ln -sf python3 /usr/bin/python\n"
                  f"LABEL {RECIPE_LABEL}={PYTHON_RECIPE}\n").encode()
    context = io.BytesIO()
    with tarfile.open(fileobj=context, mode="w") as tar:
        info = tarfile.TarInfo("Dockerfile")
        info.size = len(dockerfile)
        tar.addfile(info, io.BytesIO(dockerfile))
    context.seek(0)
    image, _ = client.images.build(fileobj=context, custom_context=True, tag=tag, rm=True, network_mode="none")
    return image.id


def _import_python_rootfs(client: Any, cache_dir: Path, tag: str) -> None:
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
