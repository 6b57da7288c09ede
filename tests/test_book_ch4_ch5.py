"""Chapters 4 and 5 as the reader sees them: worked numbers, figures and exercises."""

from __future__ import annotations

import re

import pytest
from test_book_ch2_ch3 import _number

CH4 = "book/ch4-probability"
CH5 = "book/ch5-monte-carlo"

EXPECTED = {
    f"{CH4}/entropy-kl": [
        "0.8113 bits",
        "0.5623 nats",
        "0.1887 bits",
        "0.1308 nats",
        "0.4690 bits",
        "0.2075",
        # the note on the source notebook's log-base slip
        "0.562 bits",
        "0.0589 bits",
    ],
    f"{CH4}/vae": ["0.1681 nats", "0.8890 nats", "0.1681, 0.3631 and 0.3577"],
    f"{CH4}/tsne": ["500", "1797", "trustworthiness"],
    f"{CH5}/importance-sampling": ["1.718282", "0.4920", "3.1671e-05", "1/\\sqrt N"],
    f"{CH5}/normalizing-flows": ["0.6931", "1.00000000", "N(3, 4)"],
}

FIGURES = {
    f"{CH4}/entropy-kl": ["fig-ch4-binary-entropy"],
    f"{CH4}/vae": ["fig-ch4-vae-kl"],
    f"{CH4}/tsne": ["fig-ch4-tsne-digits"],
    f"{CH5}/importance-sampling": ["fig-ch5-mc-rate", "fig-ch5-tail"],
    f"{CH5}/normalizing-flows": ["fig-ch5-flow-fit"],
}


@pytest.mark.parametrize(("page", "values"), EXPECTED.items())
def test_worked_numbers_are_shown(site, page, values):
    text = site.text(page)
    for value in values:
        assert value in text, f"{value!r} missing from {page}"


def test_monte_carlo_kl_agrees_with_closed_form(site):
    text = site.text(f"{CH4}/vae")
    gap = re.search(r"(\d\.\d\d) standard errors from the closed form 0\.8890", text)
    assert gap and float(gap.group(1)) < 1.0


def test_tsne_trustworthiness_side_by_side(site):
    text = site.text(f"{CH4}/tsne")
    m = re.search(r"equally trustworthy: (0\.\d{4}) for ours against (0\.\d{4})", text)
    assert m, "trustworthiness comparison missing"
    ours, sklearn = map(float, m.groups())
    assert ours > 0.97 and abs(ours - sklearn) < 0.02
    assert "p_{ij} = \\frac{p_{j|i} + p_{i|j}}{2n}" in text


def test_error_rate_slope_is_minus_one_half(site):
    text = site.text(f"{CH5}/importance-sampling")
    slope = re.search(r"The fitted slope is (-0\.\d{3})", text)
    assert slope and abs(float(slope.group(1)) + 0.5) < 0.05
    assert "law of large numbers" in text and "central limit theorem" in text


def test_importance_sampling_beats_plain_monte_carlo(site):
    text = site.text(f"{CH5}/importance-sampling")
    ratio = re.search(r"a factor of (\d+): plain Monte Carlo would need", text)
    assert ratio and int(ratio.group(1)) > 1000


def test_flow_beats_the_gaussian(site):
    text = site.text(f"{CH5}/normalizing-flows")
    m = re.search(
        r"is (\d\.\d{4}) nats per point, against (\d\.\d{4}) for the best", text
    )
    assert m and float(m.group(1)) < float(m.group(2)) - 0.3


@pytest.mark.parametrize(("page", "labels"), FIGURES.items())
def test_each_section_has_its_figures_with_alt_text(site, page, labels):
    html = site.html(page)
    for label in labels:
        assert f'id="{label}"' in html, f"{label} missing from {page}"
    imgs = re.findall(r"<img\b[^>]*_images/[^>]*>", html)
    assert len(imgs) >= len(labels)
    for img in imgs:
        alt = re.search(r'alt="([^"]*)"', img)
        assert alt and len(alt.group(1)) > 40, img[:120]


@pytest.mark.parametrize("chapter", [CH4, CH5])
def test_exercises_with_hidden_solutions(site, chapter):
    html = site.html(f"{chapter}/exercises")
    assert html.count('class="exercise admonition') >= 2
    assert html.count("solution dropdown") >= 2
    assert "{glue" not in site.text(f"{chapter}/exercises")


@pytest.mark.parametrize("chapter", [CH4, CH5])
def test_index_pages_link_every_section(site, chapter):
    html = site.html(f"{chapter}/index")
    sections = {
        CH4: ["entropy-kl", "vae", "tsne", "exercises"],
        CH5: ["importance-sampling", "normalizing-flows", "exercises"],
    }[chapter]
    for name in sections:
        assert f'href="{name}.html' in html, name
    assert "Learning objectives" in site.text(f"{chapter}/index")


def test_vae_page_estimators_and_exact_elbo(site):
    flat = " ".join(site.text(f"{CH4}/vae").split())
    assert "{term}" not in flat
    m = re.search(
        r"score-function estimator.s variance is (\d+\.\d) to (\d+\.\d) times the "
        r"pathwise one for \\\(\\vect\{\\mu\}\\\), and (\d+\.\d) to (\d+\.\d) times",
        flat,
    )
    assert m, "variance comparison missing"
    assert min(float(v) for v in m.groups()) > 1
    m = re.search(r"to (\S+), at most (\d\.\d) standard errors\. A VAE", flat)
    assert m and float(m[2]) < 3, "sigma-gradient check missing"
    log_px = float(
        re.search(r"\\log p\(\\vect\{x\}\)\\\) = (-?\d+\.\d{4}) nats", flat)[1]
    )
    elbos = [float(v) for v in re.findall(r"\(ELBO (-?\d+\.\d{4})\)", flat)]
    assert len(elbos) == 2 and all(e < log_px for e in elbos)
    agree = float(re.search(r"gap and KL agree to (\S+)\.", flat)[1])
    assert agree < 1e-10


def test_entropy_page_densities(site):
    flat = " ".join(site.text(f"{CH4}/entropy-kl").split())
    assert 'id="thm-ch4-gibbs-densities"' in site.html(f"{CH4}/entropy-kl")
    assert "integrated numerically, is 0.1681 nats" in flat
    h_small = float(
        re.search(r"has \\\(h\\\) = (-?\d\.\d{4}) nats, below zero", flat)[1]
    )
    assert h_small < 0
    assert "Both numbers appear only in the notebook" in flat


def test_tsne_page_reports_convergence(site):
    flat = " ".join(site.text(f"{CH4}/tsne").split())
    assert "all 500 rows meet the tolerance" in flat
    assert re.search(r"gradient norm \S+e-0\d", flat)
    assert "a factor of 12 for the first 250 steps" in flat
    assert "[van der Maaten, 2014]" in flat

def test_optimal_proposal_is_stated_as_a_minimum(site):
    text = site.text(f"{CH5}/importance-sampling")
    assert "minimises" in text and "zero only when" in text
    assert "for the self-normalised" in text


def test_light_tailed_proposal_weights_stay_below_one(site):
    text = site.text(f"{CH5}/importance-sampling")
    m = re.search(
        r"After a million draws the mean weight is (\d\.\d{3}) for .{0,40}? and\s+"
        r"(\d\.\d{3}) for",
        text,
    )
    assert m, "mean weights after a million draws missing"
    wide, narrow = map(float, m.groups())
    assert narrow < wide < 1.0


def test_variance_reduction_is_measured(site):
    text = site.text(f"{CH5}/importance-sampling")
    anti = _number(r"antithetic, (\d+\.\d) times smaller", text)
    cv = _number(r"the estimated .{1,40}?, (\d+\.\d) times smaller\)", text)
    assert anti > 3 and cv > anti
    assert _number(r"by a factor\s+(\d+\.\d) and the control variate", text) > 10


def test_snis_delta_method_overstates_at_small_n(site):
    text = site.text(f"{CH5}/importance-sampling")
    assert _number(r"overstate the bias by a factor (\d\.\d\d)", text) > 1
    assert _number(r"and the variance by\s+(\d\.\d\d)", text) > 1


def test_coupling_flow_density_integrates_to_one_and_beats_gaussian(site):
    text = site.text(f"{CH5}/normalizing-flows")
    total = _number(r"it integrates to (\d\.\d{4}) \(the mass", text)
    assert abs(total - 1) < 0.01
    m = re.search(
        r"likelihood is\s+(\d\.\d{3}) nats per point against (\d\.\d{3})", text
    )
    assert m and float(m.group(1)) < float(m.group(2)) - 0.3
    # the page must say whether the fit converged, whichever way it went
    assert re.search(r"stops after \d+ \((not )?converged:", text)


def test_new_chapter5_figures_have_alt_text(site):
    for page, label in [
        (f"{CH5}/importance-sampling", "fig-ch5-heavy-weights"),
        (f"{CH5}/normalizing-flows", "fig-ch5-coupling-moons"),
    ]:
        assert f'id="{label}"' in site.html(page), label


def test_chapter4_credits_and_hedges(site):
    """Trustworthiness is Venna and Kaski's measure; the VAE's industry claims are cited
    and the ELBO is not sold as a reliable novelty detector."""
    tsne_text = " ".join(site.text(f"{CH4}/tsne").split())
    assert "trustworthiness score [Venna and Kaski, 2001]" in tsne_text
    vae_text = " ".join(site.text(f"{CH4}/vae").split())
    assert "[Rombach et al., 2022]" in vae_text
    assert "[Nalisnick et al., 2019]" in vae_text
    assert "has not seen the like of" not in vae_text
