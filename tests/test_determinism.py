"""Two executions of every page give identical outputs (text and image hashes).

The strict build executed each page and stored its outputs in the execution cache
(``_build/.jupyter_cache``, every cell including hidden ones); here every page is
executed once more, from scratch, and the outputs are compared cell by cell. Any
unseeded randomness, timing print-out or unordered iteration shows up as a difference.
"""

from __future__ import annotations

import base64
import hashlib
import os
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import jupytext
import pytest
from test_book import executable_pages

ROOT = Path(__file__).resolve().parents[1]
IGNORED_MIME = {"application/vnd.jupyter.widget-view+json", "text/html"}


def fingerprint(nb) -> list:
    """The outputs of every code cell, images reduced to a hash."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        outputs = []
        for out in cell.get("outputs", []):
            if out["output_type"] == "stream":
                text = "".join(out["text"])
                if (
                    outputs
                    and isinstance(outputs[-1], tuple)
                    and outputs[-1][0] == out["name"]
                ):
                    text = outputs.pop()[1] + text  # the build merges adjacent streams
                outputs.append((out["name"], text))
            elif out["output_type"] in ("display_data", "execute_result"):
                data = {}
                for mime, value in sorted(out["data"].items()):
                    if mime in IGNORED_MIME:
                        continue
                    if mime.startswith("image/") and mime != "image/svg+xml":
                        value = hashlib.sha256(base64.b64decode(value)).hexdigest()
                    elif isinstance(value, list):
                        value = "".join(value)
                    data[mime] = value
                outputs.append(data)
            else:
                outputs.append((out["output_type"], out.get("ename")))
        cells.append(outputs)
    return cells


# The build executes pages with one BLAS/OpenMP thread each (see the Makefile): the same
# here, since threaded reductions (e.g. scikit-learn's Barnes-Hut t-SNE) change the
# order of floating-point sums.
SINGLE_THREAD = {
    "OMP_NUM_THREADS": "1",
    "OPENBLAS_NUM_THREADS": "1",
    "MKL_NUM_THREADS": "1",
}


def execute(page: str) -> list:
    from nbclient import NotebookClient

    os.environ.update(SINGLE_THREAD)

    source = ROOT / f"{page}.md"
    nb = jupytext.read(source)
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(source.parent)}},
    ).execute()
    return fingerprint(nb)


@pytest.fixture(scope="module")
def fresh_runs(site):
    pages = executable_pages()
    workers = min(2, os.cpu_count() or 1)
    with ProcessPoolExecutor(workers) as pool:
        return dict(zip(pages, pool.map(execute, pages), strict=True))


@pytest.mark.parametrize("page", executable_pages())
def test_outputs_are_identical_across_executions(site, fresh_runs, page):
    from jupyter_cache import get_cache

    cache = get_cache(site.root.parent / ".jupyter_cache")
    try:
        _, built = cache.merge_match_into_notebook(jupytext.read(ROOT / f"{page}.md"))
    except KeyError:
        pytest.fail(f"{page}: no execution of the current source in the build's cache")
    before, after = fingerprint(built), fresh_runs[page]
    assert len(before) == len(after), page
    for i, (a, b) in enumerate(zip(before, after, strict=True)):
        assert a == b, f"{page}: code cell {i} differs between two executions"
