"""Live Code journey: on every page, the code Thebe sends runs in a fresh kernel.

What Thebe sends is read from the built HTML, the way sphinx-thebe reads it
(sphinx-thebe 0.3, _static/sphinx-thebe.js): every element matching the page's
``thebe_selector`` becomes a live cell whose code is the text of its first
``thebe_selector_input`` element; cells with the class ``thebe-init``/``tag_thebe-init``
run when the kernel is ready. Added to them are the page's hidden cells (the
``mlmath-hidden-cells`` JSON that book/_ext/publishing.py writes and its LIVE_CODE_JS
turns into hidden live cells): those marked ``init`` at kernel start, each other one
just before the first visible cell after it. The reader runs the visible cells in
order; this runs the same sequence in a fresh python3 kernel whose working directory
is the page's folder (Thebe's ``kernelOptions.path``). Thebe's own JavaScript and
mybinder.org are not exercised here (no network): the kernel side is.
"""

from __future__ import annotations

import json
import os
import posixpath
import re
from pathlib import Path

import nbformat
import pytest
from bs4 import BeautifulSoup
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError
from test_launch import NOTEBOOK_PAGES

ROOT = Path(__file__).resolve().parents[1]
ONE_THREAD = {f"{name}_NUM_THREADS": "1" for name in ("OMP", "OPENBLAS", "MKL")}


def thebe_setting(html: str, name: str) -> str:
    match = re.search(rf'const {name} = "([^"]*)"', html)
    assert match, f"no {name} in the page: is sphinx-thebe on?"
    return match.group(1)


def live_cells(html: str) -> tuple[list[dict], list[dict]]:
    """The page's live cells (``{"code", "init"}``, in document order) and hidden
    cells (``{"before", "code", "init"}``)."""
    soup = BeautifulSoup(html, "html.parser")
    selector = thebe_setting(html, "thebe_selector")
    selector_input = thebe_setting(html, "thebe_selector_input")
    cells = []
    for element in soup.select(selector):
        pre = element.select_one(selector_input)
        classes = set(element.get("class", []))
        cells.append(
            {
                "code": pre.get_text() if pre else None,
                "init": bool(classes & {"thebe-init", "tag_thebe-init"}),
                "hidden": False,
            }
        )
    data = soup.find("script", id="mlmath-hidden-cells")
    hidden = json.loads(data.string) if data else []
    return cells, hidden


def sequence_thebe_sends(html: str) -> list[tuple[str, str]]:
    """(label, code) in the order the kernel receives them when the reader runs every
    visible live cell in order after clicking Live Code."""
    cells, hidden = live_cells(html)
    sent = [
        (f"kernel start: hidden cell {i}", h["code"])
        for i, h in enumerate(hidden)
        if h["init"]
    ]
    sent += [
        (f"kernel start: cell {i}", c["code"])
        for i, c in enumerate(cells)
        if c["init"] and c["code"]
    ]
    waiting = [(i, h) for i, h in enumerate(hidden) if not h["init"]]
    for k, cell in enumerate(cells):
        if cell["init"] or cell["code"] is None:
            continue
        while waiting and waiting[0][1]["before"] <= k:
            i, h = waiting.pop(0)
            sent.append((f"hidden cell {i}, before live cell {k}", h["code"]))
        sent.append((f"live cell {k}", cell["code"]))
    return sent


def has_live_code_button(html: str) -> bool:
    return "initThebeSBT()" in html or "launch-thebe" in html


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_live_code_runs_every_cell_of_the_page(site, page):
    html = site.html(page)
    sent = sequence_thebe_sends(html)
    visible = [label for label, _ in sent if label.startswith("live cell")]
    if not has_live_code_button(html):
        assert not visible, f"{page} has live cells but no Live Code button"
        return
    assert visible, f"{page} offers Live Code but has nothing to run"
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_code_cell(code, metadata={"label": label})
        for label, code in sent
    ]
    client = NotebookClient(
        nb,
        timeout=600,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / posixpath.dirname(page))}},
    )
    try:
        # one BLAS thread, as the book's build runs its pages (Makefile, execute)
        client.execute(env={**os.environ, **ONE_THREAD})
    except CellExecutionError as err:
        failed = next(
            (
                c
                for c in nb.cells
                if any(o.get("output_type") == "error" for o in c.get("outputs", []))
            ),
            None,
        )
        where = failed.metadata["label"] if failed is not None else "?"
        pytest.fail(
            f"{page}: Live Code fails at {where}:\n{str(err)[-1500:]}", pytrace=False
        )


@pytest.mark.parametrize(
    "page", [p for p in NOTEBOOK_PAGES if p.endswith("/exercises")]
)
def test_pages_with_nothing_to_run_offer_no_live_code(site, page):
    html = site.html(page)
    cells, _ = live_cells(html)
    assert not [c for c in cells if c["code"]]
    assert not has_live_code_button(html)


def test_hidden_setup_code_is_not_shown_to_the_reader(site):
    page = "book/ch1-linear-algebra/dot-product"
    html = site.html(page)
    _, hidden = live_cells(html)
    assert hidden and hidden[0]["init"] and "import numpy as np" in hidden[0]["code"]
    assert "from myst_nb import glue" not in site.text(page)  # scripts are not text
