"""The baseline agent's image: the minimal Python image (:mod:`runner.images`) plus what the agent imports.

``open-mle-bench/baseline`` adds, on top of ``open-mle-bench/python`` (Debian's python3, no pip):

- the packages the baseline imports, copied from this Python environment (numpy, scipy, scikit-learn,
  pandas and their dependencies, with the shared libraries their wheels bundle; test suites left out);
- the C++ runtime those wheels expect from the system (``libstdc++``), which the minimal image lacks;
- the agent's own code (``runner/agents/*.py``) under ``/opt/baseline``, and ``python`` naming ``python3``.

The host's and the image's Python must be the same minor version (compiled extensions are copied as they
are); :func:`build_baseline_image` says so when they differ. Built once per engine; rebuilt when the agent's
code, the packages or the base image change (the tag carries a digest of them).
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import importlib.metadata
import io
import re
import sys
import tarfile
import tempfile
from pathlib import Path
from typing import Any, Callable

BASELINE_IMAGE = "open-mle-bench/baseline:latest"
#: Distributions the baseline imports; what they require (their extras aside) comes along.
PACKAGES = ("numpy", "scipy", "scikit-learn", "pandas")
AGENT_FILES = ("__init__.py", "baseline.py", "features.py", "media.py")
PREFIX = "opt/baseline"


def _skip(rel: str) -> bool:
    # Compiled bytecode stays (the image's root is read-only: without it every run would compile pandas).
    return "tests" in rel.split("/") or rel.endswith((".pyx", ".pxd", ".c", ".h", ".cpp"))


def _distribution_files(name: str) -> list[tuple[Path, str]]:
    """(file on this machine, path under site-packages) of every file a distribution installed."""
    dist = importlib.metadata.distribution(name)
    out = []
    for entry in dist.files or []:
        rel = str(entry)
        if rel.startswith("..") or _skip(rel):
            continue
        path = Path(dist.locate_file(entry))
        if path.is_file():
            out.append((path, rel))
    return out


def _system_libraries() -> list[Path]:
    """The C++ runtime of this machine (the wheels' ``manylinux`` policy leaves it to the system)."""
    found = []
    for folder in (Path("/usr/lib/x86_64-linux-gnu"), Path("/usr/lib/aarch64-linux-gnu"), Path("/usr/lib64"),
                   Path("/usr/lib")):
        candidates = sorted(folder.glob("libstdc++.so.6*")) if folder.is_dir() else []
        real = [p for p in candidates if p.is_file() and not p.name.endswith(".py")]
        if real:
            found.append(max(real, key=lambda p: len(p.name)))
            break
    return found


def distributions(roots: tuple[str, ...] = PACKAGES) -> list[str]:
    """``roots`` and every installed distribution they require, extras left out.

    >>> "numpy" in distributions(("scipy",))
    True
    """
    seen: set[str] = set()
    pending = list(roots)
    while pending:
        name = pending.pop()
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            continue  # required only on other platforms or Python versions
        key = dist.metadata["Name"].lower().replace("_", "-")
        if key in seen:
            continue
        seen.add(key)
        for requirement in dist.requires or []:
            if "extra ==" in requirement:
                continue
            pending.append(re.split(r"[\s;<>=!~\[(]", requirement, maxsplit=1)[0])
    return sorted(seen)


def context_files() -> list[tuple[Path, str]]:
    """(source, path in the image) of everything the image adds."""
    site = f"{PREFIX}/site-packages"
    files = [(path, f"{site}/{rel}") for name in distributions() for path, rel in _distribution_files(name)]
    agents = Path(__file__).parent
    files += [(Path(__file__).parents[1] / "__init__.py", f"{PREFIX}/runner/__init__.py")]
    files += [(agents / name, f"{PREFIX}/runner/agents/{name}") for name in AGENT_FILES]
    files += [(lib, f"{PREFIX}/lib/libstdc++.so.6") for lib in _system_libraries()]
    return files


def image_digest(files: list[tuple[Path, str]], base: str = "") -> str:
    """A digest of the image: its base image's id, the agent's code byte for byte, the packages by name, size
    and modification time (hashing 300 MB of libraries would cost more than it saves)."""
    h = hashlib.sha256(f"{sys.version_info[:2]} {base}".encode())
    for path, target in sorted(files, key=lambda f: f[1]):
        stat = path.stat()
        if "/runner/" in target:
            h.update(target.encode() + path.read_bytes())
        else:
            h.update(f"{target}:{stat.st_size}:{int(stat.st_mtime)}".encode())
    return h.hexdigest()[:16]


DOCKERFILE = f"""FROM {{base}}
COPY {PREFIX} /{PREFIX}
RUN ["/bin/sh", "-c", "ln -sf /usr/bin/python3 /usr/local/bin/python"]
ENV PYTHONPATH=/{PREFIX}:/{PREFIX}/site-packages LD_LIBRARY_PATH=/{PREFIX}/lib PYTHONDONTWRITEBYTECODE=1
"""


@contextlib.contextmanager
def _one_builder():
    """One builder at a time on this machine (parallel test workers or demos ask for the same image)."""
    with (Path(tempfile.gettempdir()) / "open-mle-bench-baseline-image.lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        yield


def build_baseline_image(client: Any, cache_dir: Path, tag: str = BASELINE_IMAGE,
                         log: Callable[[str], None] = lambda _: None) -> str:
    """Build ``tag`` (once; again when the agent, its packages or the base image change); return its id."""
    import docker.errors

    from runner.images import PYTHON_IMAGE, ImageBuildError, build_python_image

    files = context_files()
    with _one_builder():
        base = build_python_image(client, cache_dir)
        versioned = f"{tag.rsplit(':', 1)[0]}:{image_digest(files, base)}"
        try:
            image = client.images.get(versioned)
            if tag not in image.tags:
                image.tag(*tag.rsplit(":", 1))
            return image.id
        except docker.errors.ImageNotFound:
            pass
        log(f"building the image {tag} (once: Python packages copied from {sys.prefix})")
        check = client.containers.run(PYTHON_IMAGE, ["python3", "-c", "import sys; print(sys.version_info[:2])"],
                                      remove=True, network_mode="none")
        theirs = check.decode().strip()
        if theirs != str(tuple(sys.version_info[:2])):
            raise ImageBuildError(
                f"{PYTHON_IMAGE} has Python {theirs}, this environment {tuple(sys.version_info[:2])}: the copied "
                "packages would not load; run the demo from a Python of the image's version"
            )
        context = io.BytesIO()
        with tarfile.open(fileobj=context, mode="w") as tar:
            dockerfile = DOCKERFILE.format(base=base).encode()
            info = tarfile.TarInfo("Dockerfile")
            info.size = len(dockerfile)
            tar.addfile(info, io.BytesIO(dockerfile))
            for path, target in files:
                tar.add(str(path), arcname=target, recursive=False)
        context.seek(0)
        try:
            image, _ = client.images.build(fileobj=context, custom_context=True, tag=versioned, rm=True,
                                           network_mode="none")
        except docker.errors.BuildError as err:
            raise ImageBuildError(f"building {tag} failed: {err}") from None
        image.tag(*tag.rsplit(":", 1))
        return image.id
