"""Chapter 1 as the reader sees it: worked numbers, figures and exercises."""

from __future__ import annotations

import pytest

CH1 = "book/ch1-linear-algebra"

EXPECTED = {
    "dot-product": ["12.93", "32", "3.7417", "8.7750", "0.9746"],
    "cosine-similarity": ["0.980", "0.74"],
    "transformations": ["(0.707, 0.707)"],
    "convolution": ["[1, 2, 3]"],
    "pagerank": ["0.4165", "0.2251", "0.3208", "0.0375", "Valjean", "Myriel"],
    "matrix-factorization": ["held-out", "cold-start"],
}

FIGURES = {
    "dot-product": "fig-ch1-projection",
    "cosine-similarity": "fig-ch1-cosine-heatmap",
    "transformations": "fig-ch1-unit-square",
    "convolution": "fig-ch1-im2col",
    "pagerank": "fig-ch1-pagerank-convergence",
    "matrix-factorization": "fig-ch1-mf",
}


@pytest.mark.parametrize(("page", "values"), EXPECTED.items())
def test_worked_numbers_are_shown(site, page, values):
    text = site.text(f"{CH1}/{page}")
    for value in values:
        assert value in text, f"{value!r} missing from {page}"


def test_convolution_signs(site):
    text = site.text(f"{CH1}/convolution")
    assert "True convolution gives 2 at every position" in text
    assert "gives -2 at every position" in text


@pytest.mark.parametrize(("page", "label"), FIGURES.items())
def test_each_section_has_its_figure(site, page, label):
    html = site.html(f"{CH1}/{page}")
    assert f'id="{label}"' in html
    assert "<figcaption" in html


def test_exercises_with_hidden_solutions(site):
    html = site.html(f"{CH1}/exercises")
    assert html.count('class="exercise admonition') >= 2
    assert html.count("solution dropdown") >= 2
