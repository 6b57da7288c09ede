"""Every decimal number in the prose is computed (glued) or an input, never typed.

The scan removes what is not prose (front matter, code cells, code blocks, math, roles
such as {glue:text}, inline code and directive options) and looks for decimal numbers
in what is left. Each one must be on the allow-list below, which says why it is not a
result: an input of an example, a quoted wrong value, a section number of a reference.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_book import toc_pages

ROOT = Path(__file__).resolve().parents[1]

ALLOWED: dict[str, dict[str, str]] = {
    "book/intro": {"3.11": "minimum Python version"},
    "book/ch1-linear-algebra/pagerank": {"0.85": "input: the classic damping factor"},
    "book/ch2-calculus/backpropagation": {"6.5": "section number of the cited book"},
    "book/ch2-calculus/attention": {"0.5": "input: scale of the random projections"},
    "book/ch3-optimization/admm": {
        "3.3": "section number of the cited monograph",
        "0.1": "input: noise level of the synthetic data",
        "0.01": "the original notebook's cut-off, quoted to explain its count",
    },
    "book/ch4-probability/entropy-kl": {
        "0.562": "the original notebook's wrong value, quoted in the erratum",
        "0.0589": "the original notebook's wrong value, quoted in the erratum",
    },
    "book/ch6-networks/link-prediction": {"0.5": "definition: AUC of a constant score"},
    "book/ch7-bayesian-optimization/index": {"0.1": "input: noise level of the data"},
    "book/ch7-bayesian-optimization/gaussian-processes": {
        "2.1": "algorithm number in the cited book",
        "0.1": "input: noise level of the data",
        "0.3": "input: a length scale tried",
    },
    "book/errata": {
        "0.562": "the original notebook's wrong value, quoted",
        "0.0589": "the original notebook's wrong value, quoted",
        "0.01": "the original notebook's cut-off, quoted",
        "0.1": "input: noise level of the data",
    },
    "book/ch7-bayesian-optimization/acquisition": {
        "0.5": "input: the kernel's length scale",
        "0.01": "input: the tolerance used to count evaluations",
        "0.25": "input: the accuracy threshold that defines failure",
        "1.5": "input: the SVM-tuning loop's fixed length scale (decades)",
        "0.1": "input: the SVM-tuning loop's fixed noise (standardised scale)",
    },
}


def prose(text: str) -> str:
    """The prose of a MyST page, with code, math, roles and options removed."""
    text = re.sub(r"\A---\n.*?\n---\n", "", text, flags=re.S)
    text = re.sub(r"^(`{3,})\{code-cell\}.*?^\1\s*$", "", text, flags=re.S | re.M)
    text = re.sub(r"^(`{3,})(?!\{).*?^\1\s*$", "", text, flags=re.S | re.M)
    text = re.sub(r"\$\$.*?\$\$", "", text, flags=re.S)
    text = re.sub(r"(?<!\\)\$[^$\n]+\$", "", text)
    text = re.sub(r"\{[\w:-]+\}`[^`]*`", "", text)
    text = re.sub(r"`[^`\n]*`", "", text)
    text = re.sub(r"^:[\w-]+:.*$", "", text, flags=re.M)
    text = re.sub(r"\]\([^)]*\)", "]", text)
    return text


def decimals(text: str) -> list[str]:
    return re.findall(r"(?<![\w.])\d+\.\d+(?!\w)", prose(text))


def test_the_scan_sees_typed_results_and_skips_glued_ones():
    page = "The angle is 12.93 degrees, {glue:text}`theta:.2f`, $x = 0.5$.\n"
    assert decimals(page) == ["12.93"]


@pytest.mark.parametrize("page", toc_pages())
def test_no_hand_typed_decimal_results(page):
    found = decimals((ROOT / f"{page}.md").read_text(encoding="utf-8"))
    allowed = ALLOWED.get(page, {})
    typed = sorted({n for n in found if n not in allowed})
    assert not typed, (
        f"{page}: decimal numbers typed into the prose: {typed}. Glue them from a "
        "cell, or add them to ALLOWED with the reason they are inputs."
    )
