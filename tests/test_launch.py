"""Launch links on the built site (Binder, Colab, Thebe, the PDF) and Colab notebooks.

Expected URLs are rebuilt here from _config.yml (`repository:`, `launch_buttons:`)
independently of book/_ext/publishing.py, which writes them.
"""

from __future__ import annotations

import posixpath
import re
import subprocess
import time
from html import unescape
from pathlib import Path
from unittest import mock

import jupytext
import nbformat
import pytest
import yaml
from IPython.core.inputtransformer2 import TransformerManager
from nbclient import NotebookClient
from test_book import toc_pages

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
REPO_URL = CONFIG["repository"]["url"].rstrip("/")
BRANCH = CONFIG["repository"]["branch"]
ORG_REPO = REPO_URL.removeprefix("https://github.com/")
NOTEBOOKS_BRANCH = CONFIG["launch_buttons"]["notebooks_branch"]
PDF = "_pdf/" + Path(CONFIG["latex"]["latex_documents"]["targetname"]).stem + ".pdf"
# Executing a notebook costs a kernel (~2-3 s on 2 cores): run the first executable
# page of each chapter; the book build already executes every page's code.
EXECUTE_ONE_PER_CHAPTER = True


def front_matter(page: str) -> dict:
    text = (ROOT / f"{page}.md").read_text(encoding="utf-8")
    match = re.match(r"---\n(.*?)\n---\n", text, re.DOTALL)
    return yaml.safe_load(match.group(1)) if match else {}


PAGES = toc_pages()
NOTEBOOK_PAGES = [page for page in PAGES if "kernelspec" in front_matter(page)]


def hrefs(html: str) -> set[str]:
    return {unescape(h) for h in re.findall(r'href="([^"]*)"', html)}


def binder_url(page: str) -> str:
    return f"https://mybinder.org/v2/gh/{ORG_REPO}/{BRANCH}?urlpath=lab/tree/{page}.md"


def colab_url(page: str) -> str:
    return (
        f"https://colab.research.google.com/github/{ORG_REPO}/blob/"
        f"{NOTEBOOKS_BRANCH}/{page}.ipynb"
    )


def notebook(site, page: str):
    return nbformat.read(site.root / "_notebooks" / f"{page}.ipynb", as_version=4)


def test_the_book_has_executable_pages():
    assert REPO_URL.startswith("https://github.com/")
    assert "book/ch1-linear-algebra/dot-product" in NOTEBOOK_PAGES
    assert CONFIG["launch_buttons"]["binderhub_url"] == "https://mybinder.org"
    assert CONFIG["launch_buttons"]["thebe"] is True


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_page_launches_in_binder_and_colab(site, page):
    links = hrefs(site.html(page))
    assert binder_url(page) in links
    assert colab_url(page) in links
    # Colab cannot open MyST .md, so no Colab link may point at one
    assert not [h for h in links if "colab.research.google.com" in h and ".md" in h]


def test_pages_without_code_have_no_launch_buttons(site):
    plain = [page for page in PAGES if page not in NOTEBOOK_PAGES]
    assert plain  # the intro, the chapter index pages, the bibliography
    for page in plain:
        assert "dropdown-launch-buttons" not in site.html(page), page


def test_thebe_live_code_points_at_the_repository(site):
    html = site.html(NOTEBOOK_PAGES[0])
    config = re.search(r'<script type="text/x-thebe-config">(.*?)</script>', html, re.S)
    assert config, "no Thebe configuration on an executable page"
    assert f'repo: "{ORG_REPO}"' in config.group(1)
    assert f'ref: "{BRANCH}"' in config.group(1)


PDF_PAGE = "_pdf/index.html"


@pytest.mark.parametrize("page", PAGES)
def test_every_page_links_to_the_pdf_and_the_link_is_not_a_404(site, page):
    html = site.html(page)
    link = r'<a[^>]*href="([^"]+)"[^>]*>\s*Download the book \(PDF\)'
    targets = re.findall(link, html)
    assert targets, f"{page} has no 'Download the book (PDF)' link"
    for target in targets:
        resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), target))
        # the PDF where the build has it, else the page that offers or explains it
        assert resolved in {PDF, PDF_PAGE}
        assert (site.root / resolved).is_file(), f"{resolved} is a 404 in this build"


def test_the_pdf_page_offers_the_pdf_or_says_how_to_get_it(site):
    page = (site.root / PDF_PAGE).read_text(encoding="utf-8")
    if (site.root / PDF).is_file():
        assert f'href="{Path(PDF).name}"' in page
    else:
        assert "make pdf" in page and ".pdf" in page


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_the_ipynb_download_is_the_notebook_with_the_install_cell(site, page):
    html = site.html(page)
    (target,) = {h for h in hrefs(html) if h.endswith(".ipynb") and "colab" not in h}
    resolved = posixpath.normpath(posixpath.join(posixpath.dirname(page), target))
    assert resolved == f"_notebooks/{page}.ipynb"
    nb = nbformat.read(site.root / resolved, as_version=4)
    assert nb.cells[0].metadata["tags"] == ["colab-install"]


@pytest.mark.parametrize("page", NOTEBOOK_PAGES)
def test_colab_notebook_is_the_page_after_a_guarded_install_cell(site, page):
    nb = notebook(site, page)
    nbformat.validate(nb)
    assert nb.metadata["kernelspec"]["name"] == "python3"
    code = [cell for cell in nb.cells if cell.cell_type == "code"]
    install = code[0].source
    assert '("mlmath", "myst_nb")' in install and "raise RuntimeError" in install
    assert re.search(rf'MLMATH = "git\+{re.escape(REPO_URL)}@[0-9a-f]{{40}}"', install)
    source = jupytext.read(ROOT / f"{page}.md")
    page_code = [cell.source for cell in source.cells if cell.cell_type == "code"]
    assert [cell.source for cell in code[1:]] == page_code


def run_install_cell(source: str, importable: bool, pip_ok: bool = True):
    """Run the install cell with pip and imports mocked; return pip's commands."""
    python = TransformerManager().transform_cell(source)
    result = subprocess.CompletedProcess([], int(not pip_ok), "", "fatal: no network")
    spec = object() if importable else None
    with (
        mock.patch("importlib.util.find_spec", return_value=spec),
        mock.patch("subprocess.run", return_value=result) as run,
    ):
        exec(compile(python, "<install-cell>", "exec"), {})
    return [call.args[0] for call in run.call_args_list]


def test_install_cell_installs_only_where_mlmath_is_missing(site):
    source = notebook(site, NOTEBOOK_PAGES[0]).cells[0].source
    assert run_install_cell(source, importable=True) == []
    (command,) = run_install_cell(source, importable=False)
    assert command[1:4] == ["-m", "pip", "install"]
    assert any(arg.startswith(f"git+{REPO_URL}@") for arg in command)
    assert any(arg.startswith("myst-nb==") for arg in command)


def test_install_cell_fails_loudly_in_itself_with_what_to_do(site):
    source = notebook(site, NOTEBOOK_PAGES[0]).cells[0].source
    with pytest.raises(RuntimeError, match="Could not install") as err:
        run_install_cell(source, importable=False, pip_ok=False)
    assert "fatal: no network" in str(err.value) and "What to do" in str(err.value)


def pages_to_execute() -> list[str]:
    if not EXECUTE_ONE_PER_CHAPTER:
        return NOTEBOOK_PAGES
    first: dict[str, str] = {}
    for page in NOTEBOOK_PAGES:
        first.setdefault(posixpath.dirname(page), page)
    return list(first.values())


@pytest.mark.parametrize("page", pages_to_execute())
def test_colab_notebook_executes(site, page):
    nb = notebook(site, page)
    start = time.perf_counter()
    NotebookClient(
        nb,
        timeout=120,
        kernel_name="python3",
        resources={"metadata": {"path": str(ROOT / posixpath.dirname(page))}},
    ).execute()
    elapsed = time.perf_counter() - start
    assert nb.cells[0].outputs == []  # mlmath is installed here: nothing to do
    outputs = [out for cell in nb.cells for out in cell.get("outputs", [])]
    assert not [out for out in outputs if out.output_type == "error"]
    assert elapsed < 60
