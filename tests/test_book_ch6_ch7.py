"""Chapters 6 and 7 as the reader sees them: worked numbers, figures and exercises."""

from __future__ import annotations

import re

import pytest

CH6 = "book/ch6-networks"
CH7 = "book/ch7-bayesian-optimization"

EXPECTED = {
    f"{CH6}/link-prediction": [
        "(0, 3), (1, 4), (2, 5) tie",  # common neighbours: a three-way tie
        "(0, 3), (2, 5) still tie",  # Adamic-Adar: a two-way tie at the top
        "1.632",
        "1.443",
        "0.721",
        "rank 1: (0, 3)",
        "rank 1: (1, 4)",
        "rank 1: (2, 5)",
        "rank 4: (0, 4)",
    ],
    f"{CH6}/supervised-random-walks": [
        "supervised random walk",
        "random walk with restart",
        "Adamic-Adar",
        "columns sum to 1: True",
    ],
    f"{CH7}/gaussian-processes": ["noise 0.1:", "noise 1e-06:"],
    f"{CH7}/acquisition": ["2.847", "0.375", "3.784", "2.983"],
}

FIGURES = {
    f"{CH6}/link-prediction": ["fig-ch6-toy-network", "fig-ch6-karate-evaluation"],
    f"{CH6}/supervised-random-walks": ["fig-ch6-srw-comparison"],
    f"{CH7}/gaussian-processes": [
        "fig-ch7-prior",
        "fig-ch7-posterior",
        "fig-ch7-length-scale",
    ],
    f"{CH7}/acquisition": ["fig-ch7-bo-loop", "fig-ch7-svm-tuning"],
}


@pytest.mark.parametrize(("page", "values"), EXPECTED.items())
def test_worked_numbers_are_shown(site, page, values):
    text = site.text(page)
    for value in values:
        assert value in text, f"{value!r} missing from {page}"


def number_after(text: str, phrase: str) -> float:
    match = re.search(re.escape(phrase) + r"\s*([-+]?\d+\.\d+)", text)
    assert match, f"no number after {phrase!r}"
    return float(match.group(1))


def test_link_prediction_beats_the_random_baseline(site):
    text = site.text(f"{CH6}/link-prediction")
    auc = number_after(text, "ranks a hidden edge above a non-edge with probability")
    assert 0.6 < auc < 1.0
    assert "precision@k" in text and "ROC-AUC" in text


def test_srw_gradient_check_is_reported(site):
    text = site.text(f"{CH6}/supervised-random-walks")
    error = re.search(r"relative error of ([0-9.]+e-\d+)", text)
    assert error and float(error.group(1)) < 1e-5


def test_gp_page_matches_scikit_learn(site):
    text = site.text(f"{CH7}/gaussian-processes")
    diff = re.search(r"with the same fixed kernel.*?agrees to ([0-9.]+e-\d+)", text)
    assert diff and float(diff.group(1)) < 1e-8


@pytest.mark.parametrize(("page", "labels"), FIGURES.items())
def test_each_section_has_its_figures_with_alt_text(site, page, labels):
    html = site.html(page)
    for label in labels:
        assert f'id="{label}"' in html, label
    images = re.findall(r'<img\b[^>]*src="[^"]*_images/[^>]*>', html)
    assert len(images) >= len(labels)
    for img in images:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and len(alt.group(1)) > 40, img[:100]
    assert html.count("<figcaption") >= len(labels)


@pytest.mark.parametrize("chapter", [CH6, CH7])
def test_exercises_with_hidden_solutions(site, chapter):
    html = site.html(f"{chapter}/exercises")
    assert html.count('class="exercise admonition') >= 2
    assert html.count("solution dropdown") >= 2


@pytest.mark.parametrize("chapter", [CH6, CH7])
def test_index_links_every_section(site, chapter):
    html = site.html(f"{chapter}/index")
    for page in ("exercises",):
        assert f'href="{page}.html' in html
    assert "Learning objectives" in site.text(f"{chapter}/index")


def test_srw_hand_example_is_matched_by_the_code(site):
    from pathlib import Path

    text = site.text(f"{CH6}/supervised-random-walks")
    page = Path(__file__).resolve().parents[1] / CH6 / "supervised-random-walks.md"
    src = page.read_text()  # the hand values are TeX, so read them from the source
    assert r"\tfrac1{29}(16, 9, 2, 2)" in src
    assert r"\frac{1}{4205}\,(-70,\; 15,\; 129,\; -74)" in src
    for phrase in [
        r"reproduce .{1,30}? to (\S+), finite",
        r"to (\S+), and the gradient",
        r"matches\s+the hand value to (\S+) \(",
    ]:
        m = re.search(phrase, text)
        assert m, phrase
        assert float(m.group(1).rstrip(",")) < 1e-6
    assert "temporally" in text and "timestamps" in text
