"""The environments the launch journeys run in, built once and cached outside the clone.

* :func:`binder_env`: what mybinder.org's repo2docker builds from this repository,
  without Docker: a Python 3.11 venv with repo2docker's own pins
  (``binder/repo2docker-base.txt``), then ``binder/requirements.txt`` installed from the
  repository root, then ``pip install .`` only if repo2docker would run it
  (:func:`repo2docker_runs_pip_install_dot`), then ``binder/postBuild``.
* :func:`colab_env`: a clean Colab-like kernel environment: the scientific stack and
  ipykernel, without mlmath and without myst-nb.

Both live under ``~/.cache/mlmath-book/`` (``MLMATH_LAUNCH_CACHE`` overrides it), in a
folder named after a hash of their inputs, so a changed input builds a new one. Run
``python tests/launch_envs.py binder`` to build the Binder one by hand (README, Binder).
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BINDER = ROOT / "binder"
CACHE = Path(
    os.environ.get("MLMATH_LAUNCH_CACHE", Path.home() / ".cache" / "mlmath-book")
)
DONE = ".complete"  # written last: an interrupted build is rebuilt


def python311() -> str:
    """A Python 3.11 interpreter (binder/runtime.txt asks repo2docker for 3.11)."""
    if sys.version_info[:2] == (3, 11):
        return sys.executable
    found = shutil.which("python3.11")
    if not found:
        raise RuntimeError("the Binder journey needs Python 3.11 (binder/runtime.txt)")
    return found


def _interpreter() -> list[str]:
    """The interpreter the environments are made from, as a cache-key input: its
    version and real path (``tests/../.venv/bin/python`` and ``.venv/bin/python`` are
    one interpreter)."""
    return [sys.version, os.path.realpath(python311())]


def _key(*parts: bytes | str) -> str:
    digest = hashlib.sha256()
    for part in parts:
        digest.update(part if isinstance(part, bytes) else part.encode())
        digest.update(b"\0")
    return digest.hexdigest()[:16]


def _run(cmd: list, log: Path, **kwargs) -> None:
    with log.open("a", encoding="utf-8") as out:
        out.write(f"\n$ {' '.join(map(str, cmd))}\n")
        out.flush()
        proc = subprocess.run(cmd, stdout=out, stderr=subprocess.STDOUT, **kwargs)
    if proc.returncode != 0:
        tail = log.read_text(encoding="utf-8")[-4000:]
        raise RuntimeError(f"{cmd[:4]} failed (log: {log}):\n{tail}")


def repo2docker_runs_pip_install_dot(root: Path = ROOT) -> bool:
    """Whether repo2docker runs ``pip install .`` after the requirements file.

    repo2docker/buildpacks/python/__init__.py (``_is_python_package``): not when the
    repository has a ``binder/`` (or ``.binder/``) folder; otherwise when it has a
    ``setup.py``, or a ``pyproject.toml`` with ``[project]`` and ``[build-system]``.
    """
    if (root / "binder").is_dir() or (root / ".binder").is_dir():
        return False
    if (root / "setup.py").exists():
        return True
    pyproject = root / "pyproject.toml"
    if pyproject.exists():
        data = tomllib.loads(pyproject.read_text(encoding="utf-8"))
        return "project" in data and "build-system" in data
    return False


def binder_files(root: Path = ROOT) -> dict[str, Path]:
    """repo2docker's files: from ``binder/`` when that folder exists, else the root."""
    folder = root / "binder" if (root / "binder").is_dir() else root
    return {
        name: folder / name
        for name in ("requirements.txt", "postBuild", "runtime.txt")
        if (folder / name).exists()
    }


def _new_venv(prefix: Path, title: str) -> Path:
    """A new, empty venv at `prefix` (what was there is removed); return its log."""
    shutil.rmtree(prefix, ignore_errors=True)
    prefix.parent.mkdir(parents=True, exist_ok=True)
    log = prefix.parent / f"{prefix.name}.log"
    log.write_text(f"{title}\n", encoding="utf-8")
    _run([python311(), "-m", "venv", prefix], log)
    return log


def binder_env(root: Path = ROOT, base: Path = BINDER / "repo2docker-base.txt") -> Path:
    """Build (or reuse) the Binder environment; return its prefix.

    postBuild is not part of the cached build: :func:`run_post_build` runs the current
    one on every use (it is quick, and this way a changed postBuild is always tested).
    """
    files = binder_files(root)
    # the clone's path is an input: `-e .` installs mlmath from it
    inputs = [base.read_bytes(), str(root), *_interpreter()]
    inputs += [
        files[n].read_bytes() for n in ("requirements.txt", "runtime.txt") if n in files
    ]
    inputs.append((root / "pyproject.toml").read_bytes())
    prefix = CACHE / f"binder-{_key(*inputs)}"
    if (prefix / DONE).exists():
        return prefix
    log = _new_venv(prefix, f"Binder environment for {root}")
    # --no-compile: Python compiles each module when it is first imported instead
    # (pip's byte-compiling of JupyterLab, SciPy, ... is minutes on a loaded 2-core
    # machine, and changes nothing the journeys check)
    pip = [prefix / "bin" / "python", "-m", "pip", "--disable-pip-version-check"]
    # 1. repo2docker's own environment (its conda lock, here with pip)
    _run([*pip, "install", "--no-compile", "-r", base], log)
    # 2. the repository's requirements file, from the repository root ($REPO_DIR),
    #    as repo2docker runs it: pip install --no-cache-dir -r "binder/requirements.txt"
    if "requirements.txt" in files:
        rel = files["requirements.txt"].relative_to(root)
        _run([*pip, "install", "--no-compile", "-r", rel], log, cwd=root)
    # 3. repo2docker's extra step for a Python package without a binder/ folder
    if repo2docker_runs_pip_install_dot(root):
        _run([*pip, "install", "--no-compile", "."], log, cwd=root)
    (prefix / DONE).write_text("ok\n", encoding="utf-8")
    return prefix


def run_post_build(prefix: Path, root: Path = ROOT) -> str:
    """Run the repository's postBuild as repo2docker does (``./binder/postBuild`` from
    the repository root, the environment first on PATH); return its output."""
    script = binder_files(root).get("postBuild")
    if script is None:
        return ""
    env = {**os.environ, "PATH": f"{prefix / 'bin'}{os.pathsep}{os.environ['PATH']}"}
    env.pop("VIRTUAL_ENV", None)
    proc = subprocess.run(
        [f"./{script.relative_to(root)}"],
        cwd=root,
        env=env,
        capture_output=True,
        text=True,
    )
    if proc.returncode != 0:
        raise RuntimeError(f"postBuild failed:\n{proc.stdout}\n{proc.stderr}")
    return proc.stdout


#: The Colab-like environment: the scientific stack at the versions the book is tested
#: with (requirements.txt), a kernel and nbclient; no mlmath, no myst-nb.
COLAB_PACKAGES = [
    "numpy",
    "scipy",
    "matplotlib",
    "seaborn",
    "networkx",
    "scikit-learn",
    "ipykernel",
    "nbclient",
    "nbformat",
]


def pins(names: list[str], root: Path = ROOT) -> list[str]:
    """``name==version`` from requirements.txt where it pins `name`."""
    lines = (root / "requirements.txt").read_text(encoding="utf-8").splitlines()
    pinned = dict(
        line.split("==", 1)
        for line in lines
        if "==" in line and not line.startswith("#")
    )
    return [f"{n}=={pinned[n].strip()}" if n in pinned else n for n in names]


def colab_env(root: Path = ROOT) -> Path:
    """Build (or reuse) the clean Colab-like environment; return its prefix."""
    packages = pins(COLAB_PACKAGES, root)
    # one per clone: each run uninstalls and reinstalls mlmath in it
    prefix = CACHE / f"colab-{_key(*packages, str(root), *_interpreter())}"
    if (prefix / DONE).exists():
        return prefix
    log = _new_venv(prefix, "Colab-like environment")
    _run(
        [
            prefix / "bin" / "python",
            "-m",
            "pip",
            "--disable-pip-version-check",
            "install",
            "--no-compile",
            *packages,
        ],
        log,
    )
    (prefix / DONE).write_text("ok\n", encoding="utf-8")
    return prefix


if __name__ == "__main__":
    which = sys.argv[1] if len(sys.argv) > 1 else "binder"
    if which == "binder":
        prefix = binder_env()
        print(run_post_build(prefix), end="")
        print(
            f"Binder environment: {prefix}\nStart it with:\n"
            f"  PATH={prefix}/bin:$PATH jupyter lab --ServerApp.root_dir={ROOT}"
        )
    else:
        print(f"Colab-like environment: {colab_env()}")
