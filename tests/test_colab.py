"""Colab journey: the generated notebooks run in a clean environment that has neither
mlmath nor myst-nb, installing mlmath from "GitHub" at the commit they were built from;
and when GitHub cannot be reached, they stop in the install cell with its message.

"GitHub" is a bare clone of this repository: git's ``url.<base>.insteadOf`` (in a
``GIT_CONFIG_GLOBAL`` of the test's own) sends the notebook's unchanged
``git+https://github.com/...@<sha>`` there. The environment (tests/launch_envs.py) is
cached under ~/.cache/mlmath-book/; mlmath and myst-nb are uninstalled from it before
each notebook, so every run installs them the way Colab would.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import nbformat
import pytest
import yaml
from launch_envs import colab_env

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "book" / "_ext"))
import publishing  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
#: one page of chapters 1, 4 and 6 (the Binder journey opens the same ones)
PAGES = [
    "book/ch1-linear-algebra/dot-product",
    "book/ch4-probability/entropy-kl",
    "book/ch6-networks/link-prediction",
]
RUNNER = """
import sys, nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
nb = nbformat.read(sys.argv[1], as_version=4)
try:
    NotebookClient(nb, timeout=300, kernel_name="python3").execute()
    code = 0
except CellExecutionError:
    code = 1
nbformat.write(nb, sys.argv[1])
sys.exit(code)
"""


def head_commit() -> str:
    return subprocess.run(
        ["git", "-C", ROOT, "rev-parse", "HEAD"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()


@pytest.fixture(scope="module")
def colab(tmp_path_factory):
    prefix = colab_env(ROOT)
    work = tmp_path_factory.mktemp("colab")
    github = work / "github" / "mlmath-executable.git"
    subprocess.run(["git", "clone", "--quiet", "--bare", ROOT, github], check=True)
    notebooks = work / "notebooks"
    publishing.write_notebooks(notebooks, ROOT)
    return prefix, work, github, notebooks


def run_notebook(colab, page: str, reach: str) -> tuple[int, nbformat.NotebookNode]:
    """Run `page`'s notebook in a fresh folder (Colab's /content), GitHub -> `reach`."""
    prefix, work, _, notebooks = colab
    python = prefix / "bin" / "python"
    subprocess.run(
        [python, "-m", "pip", "uninstall", "--quiet", "-y", "mlmath", "myst-nb"],
        check=True,
        capture_output=True,
    )
    (work / "content").mkdir(exist_ok=True)
    name = page.replace("/", "-")
    content = Path(tempfile.mkdtemp(prefix=name, dir=work / "content"))
    target = content / "notebook.ipynb"
    target.write_bytes((notebooks / f"{page}.ipynb").read_bytes())
    gitconfig = content / ".gitconfig"
    gitconfig.write_text(
        f'[url "{reach}"]\n\tinsteadOf = {REPO_URL}\n', encoding="utf-8"
    )
    env = {
        **os.environ,
        "GIT_CONFIG_GLOBAL": str(gitconfig),
        "GIT_CONFIG_NOSYSTEM": "1",
        "PATH": f"{prefix / 'bin'}{os.pathsep}{os.environ['PATH']}",
        "MPLCONFIGDIR": str(content / ".matplotlib"),
    }
    env.pop("VIRTUAL_ENV", None)
    env.pop("PYTHONPATH", None)
    proc = subprocess.run(
        [python, "-c", RUNNER, target],
        cwd=content,
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    return proc.returncode, nbformat.read(target, as_version=4)


def test_the_clean_environment_has_neither_mlmath_nor_myst_nb(colab):
    prefix = colab[0]
    probe = (
        "import importlib.util as u; "
        "print([m for m in ('mlmath', 'myst_nb', 'numpy') if u.find_spec(m)])"
    )
    subprocess.run(
        [
            prefix / "bin" / "python",
            "-m",
            "pip",
            "uninstall",
            "--quiet",
            "-y",
            "mlmath",
            "myst-nb",
        ],
        check=True,
        capture_output=True,
    )
    out = subprocess.run(
        [prefix / "bin" / "python", "-c", probe],
        cwd="/",
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.strip() == "['numpy']"


def test_notebooks_install_the_commit_they_were_built_from(colab):
    nb = nbformat.read(colab[3] / f"{PAGES[0]}.ipynb", as_version=4)
    assert f'"git+{REPO_URL}@{head_commit()}"' in nb.cells[0].source
    assert publishing.pinned("myst-nb") in nb.cells[0].source


@pytest.mark.parametrize("page", PAGES)
def test_colab_notebook_installs_mlmath_and_runs(colab, page):
    github = colab[2]
    code, nb = run_notebook(colab, page, f"file://{github}")
    errors = [
        (i, o)
        for i, c in enumerate(nb.cells)
        if c.cell_type == "code"
        for o in c.outputs
        if o.output_type == "error"
    ]
    assert code == 0 and not errors, errors[:1]
    install = "".join(o.get("text", "") for o in nb.cells[0].outputs)
    assert "Installing" in install and "Installed." in install


def test_without_github_the_notebook_stops_in_the_install_cell_saying_what_to_do(colab):
    code, nb = run_notebook(
        colab, PAGES[0], "file:///nonexistent/mlmath-executable.git"
    )
    assert code == 1
    first = nb.cells[0]
    (error,) = [o for o in first.outputs if o.output_type == "error"]
    assert error.ename == "RuntimeError"
    assert "Could not install the book's package" in error.evalue
    assert "What to do" in error.evalue and "pip install" in error.evalue
    # nothing ran after it: the reader's first error is the install's
    assert all(
        c.get("execution_count") is None for c in nb.cells[1:] if c.cell_type == "code"
    )
