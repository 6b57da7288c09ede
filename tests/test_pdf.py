"""The whole-book PDF (`make pdf`): every chapter, a glued result of each, no "??".

Builds the PDF with xelatex (`make pdf-build`, reusing the execution cache of the
session's HTML build) and reads it back with pdftotext (poppler-utils).
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import unicodedata
from pathlib import Path

import pytest
import yaml
from conftest import run_make

ROOT = Path(__file__).resolve().parents[1]
CONFIG = yaml.safe_load((ROOT / "_config.yml").read_text(encoding="utf-8"))
PDF_NAME = Path(CONFIG["latex"]["latex_documents"]["targetname"]).stem + ".pdf"
PDF = ROOT / "_build" / "html" / "_pdf" / PDF_NAME

# One glued result per chapter, as its prose prints it (the format of its
# {glue:text} role): chapter folder -> text that must appear in the PDF.
GLUED = {
    "ch1-linear-algebra": "12.93",  # angle between (1, 2, 3) and (4, 5, 6), degrees
    "ch2-calculus": "6.403",  # norm of the gradient of x^2 + xy + y^2 at (1, 2)
    "ch3-optimization": "0.5",  # f* of min x^2 + y^2 subject to x + y = 1
    "ch4-probability": "0.8113",  # H(0.25, 0.75) in bits
    "ch5-monte-carlo": "0.6931",  # log|det J| = log 2 of x = 2z + 3
    "ch6-networks": "1.632",  # Adamic-Adar of (0, 3) on the six-user network
    "ch7-bayesian-optimization": "2.983",  # maximum of -(x - 2)^2 sin(3x) on [0, 5]
}


def test_every_chapter_has_a_glued_number_to_look_for():
    assert {folder for folder, _ in chapters()} == set(GLUED)


def chapters() -> list[tuple[str, str]]:
    """(folder, title) of every chapter in _toc.yml, the title from its index page."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text(encoding="utf-8"))
    found = []
    for part in toc["parts"]:
        for chapter in part["chapters"]:
            if not chapter["file"].endswith("/index"):
                continue  # back matter (notation, API reference, bibliography, ...)
            text = (ROOT / f"{chapter['file']}.md").read_text(encoding="utf-8")
            title = re.search(r"^# (.+)$", text, re.MULTILINE).group(1).strip()
            found.append((Path(chapter["file"]).parent.name, title))
    return found


def normalise(text: str) -> str:
    """NFKC (ligatures such as 'fi' become two letters), whitespace collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFKC", text))


def test_make_pdf_names_the_debian_packages_when_tex_is_missing(tmp_path):
    # An empty PATH: no xelatex (make runs its recipes with /bin/bash).
    proc = subprocess.run(
        [shutil.which("make"), "--no-print-directory", "pdf-build"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": str(tmp_path)},
    )
    assert proc.returncode != 0
    for package in ("texlive-xetex", "texlive-fonts-extra", "latexmk", "xindy"):
        assert package in proc.stdout
    assert "fonts-freefont-otf" in proc.stdout


def tex_packages() -> str:
    """The Debian packages the Makefile names for the PDF (TEX_PACKAGES)."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    match = re.search(r"^TEX_PACKAGES := ((?:.*\\\n)*.*)$", makefile, re.MULTILINE)
    return " ".join(match.group(1).replace("\\\n", " ").split())


# Skipped only outside CI: .ci/run installs TeX Live when xelatex is missing, so on CI
# a missing xelatex fails (in `make pdf-build`) instead of skipping.
needs_tex = pytest.mark.skipif(
    shutil.which("xelatex") is None and not os.environ.get("CI"),
    reason=f"xelatex is not installed: apt-get install {tex_packages()}",
)


@pytest.fixture(scope="module")
def pdf_text(site) -> str:
    """Build the PDF (after the session's HTML build: cached pages) and read it."""
    run_make("pdf-build")
    assert shutil.which("pdftotext"), "no pdftotext: apt-get install poppler-utils"
    text = subprocess.run(
        ["pdftotext", str(PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    return normalise(text)


@needs_tex
def test_pdf_has_title_page_contents_and_bibliography(pdf_text):
    assert normalise(CONFIG["title"]) in pdf_text
    assert "Contents" in pdf_text or "CONTENTS" in pdf_text
    assert pdf_text.count("Bibliography") >= 2  # in the contents and as a chapter


@needs_tex
@pytest.mark.parametrize("folder, title", chapters())
def test_pdf_has_every_chapter(pdf_text, folder, title):
    # once in the table of contents, once as the chapter's heading
    assert pdf_text.count(normalise(title)) >= 2, title


@needs_tex
@pytest.mark.parametrize("folder, number", sorted(GLUED.items()))
def test_pdf_shows_a_glued_result_of_each_chapter(pdf_text, folder, number):
    assert folder in {f for f, _ in chapters()}, f"{folder} is not a chapter"
    assert re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", pdf_text), number


@needs_tex
def test_pdf_numbers_equations_and_resolves_every_reference(pdf_text):
    assert "(1.1)" in pdf_text  # equations are numbered per chapter
    assert "??" not in pdf_text


# --- Nothing raw reaches a PDF reader -------------------------------------------------
# The same faults the browser checks look for in HTML (tests/test_browser_reader.py):
# TeX source printed as text (a multi-line $...$ broken by a line that starts with "+ "
# or "- "), MyST roles or directives printed literally, and "Theorem Theorem". Code is
# printed in the PDF too, and may hold TeX in strings (axis labels): a line is excused
# only if it is a line of the book's own code.

_PDF_RAW = [
    ("TeX", re.compile(r"\\[A-Za-z]{2,}|\$\$|\\\(|\\\[")),
    ("MyST role", re.compile(r"\{[a-z][a-z0-9_:-]*\}`")),
    ("MyST directive", re.compile(r"(?:```|~~~|:::)\s*\{[a-z]")),
    (
        "doubled name",
        re.compile(
            r"\b(Theorem|Definition|Lemma|Proposition|Corollary|Exercise|Solution|Example|"
            r"Algorithm|Remark|Figure|Table|Equation|Section|Chapter|Proof)\s+\1\b"
        ),
    ),
]


def _book_code_lines() -> set[str]:
    """Every line of code in the book's pages and in mlmath (whitespace collapsed)."""
    lines: set[str] = set()
    sources = [ROOT / f"{p}.md" for p in _toc_files()] + sorted(
        (ROOT / "mlmath").glob("*.py")
    )
    for path in sources:
        if not path.exists():
            continue
        text = path.read_text(encoding="utf-8")
        if path.suffix == ".md":
            blocks = re.findall(
                r"^(```|~~~)[^\n]*\n(.*?)^\1", text, re.MULTILINE | re.DOTALL
            )
            text = "\n".join(body for _, body in blocks)
        lines.update(
            " ".join(line.split()) for line in text.splitlines() if line.strip()
        )
    return lines


def _toc_files() -> list[str]:
    import sys

    sys.path.insert(0, str(ROOT / "book" / "_ext"))
    from book_pages import toc_files

    return toc_files()


def raw_source_in_pdf_text(text: str, code_lines: set[str]) -> list[tuple[str, str]]:
    """(kind, line) of every PDF text line showing source a reader should not see."""
    found = []
    for line in text.splitlines():
        flat = " ".join(normalise(line).split())
        if not flat:
            continue
        for kind, pattern in _PDF_RAW:
            if pattern.search(flat) and not any(
                flat in code or code in flat for code in code_lines if len(code) > 8
            ):
                found.append((kind, flat[:120]))
    return found


def test_raw_source_scan_catches_what_it_should():
    code = {'ax.set(title=f"$\\\\ell$ = {ls:g}")'}
    bad = raw_source_in_pdf_text(
        "Expand $f(x \\pm h) = f(x)\nthe {term}`ELBO <ELBO>`\nTheorem Theorem 7.2\n"
        'ax.set(title=f"$\\\\ell$ = {ls:g}")\nA fine line.',
        code,
    )
    assert [kind for kind, _ in bad] == ["TeX", "MyST role", "doubled name"]


@needs_tex
def test_pdf_shows_no_raw_tex_roles_or_doubled_names(pdf_text):
    # pdf_text has built the PDF; read it again line by line
    text = subprocess.run(
        ["pdftotext", str(PDF), "-"], capture_output=True, text=True, check=True
    ).stdout
    bad = raw_source_in_pdf_text(text, _book_code_lines())
    assert not bad, f"{len(bad)} PDF lines show source: {bad[:15]}"
