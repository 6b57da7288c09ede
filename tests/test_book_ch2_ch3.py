"""The built pages of chapters 2 and 3 show the glued worked numbers, figures and
exercises."""

from __future__ import annotations

import re

import numpy as np
import pytest

from mlmath import MLP, admm_lasso

CH2 = "book/ch2-calculus"
CH3 = "book/ch3-optimization"

FIGURES = {
    f"{CH2}/gradients": [
        "fig-ch2-gradient-field",
        "fig-ch2-fd-error",
        "fig-ch2-taylor",
        "fig-ch2-gd-rates",
    ],
    f"{CH2}/backpropagation": ["fig-ch2-mlp-loss", "fig-ch2-vanishing"],
    f"{CH2}/attention": ["fig-ch2-attention-heatmap", "fig-ch2-attention-scaling"],
    f"{CH3}/lagrange": ["fig-ch3-lagrange"],
    f"{CH3}/svm": ["fig-ch3-svm-toy", "fig-ch3-svm-kernel"],
    f"{CH3}/admm": ["fig-ch3-admm-convergence", "fig-ch3-lasso-path"],
}


def lasso_problem():
    rng = np.random.default_rng(42)
    A = rng.standard_normal((50, 20))
    x_true = np.zeros(20)
    x_true[:5] = [3.0, -2.0, 1.5, -1.0, 0.5]
    return A, A @ x_true + 0.1 * rng.standard_normal(50)


@pytest.mark.parametrize("page", sorted(FIGURES))
def test_figures_have_alt_text_and_captions(site, page):
    html = site.html(page)
    for name in FIGURES[page]:
        match = re.search(
            rf'<figure[^>]*id="{name}"[^>]*>(.*?)</figure>', html, flags=re.S
        )
        assert match, f"figure {name} missing on {page}"
        alt = re.search(r'<img alt="([^"]*)"', match.group(1))
        assert alt and len(alt.group(1)) > 40, f"figure {name} lacks alt text"
        assert "<figcaption" in match.group(1)


def test_gradients_page(site):
    text = site.text(f"{CH2}/gradients")
    assert "= (4, 5), whose squared length is 41" in text
    assert "6.403" in text
    assert re.search(r"within \d\.\de-1[0-3] of the exact one in every entry", text)
    assert "-0.4161" in text  # cos 2


def test_backpropagation_page(site):
    text = site.text(f"{CH2}/backpropagation")
    assert "\\(h\\) = 6, \\(a\\) = 6, \\(\\hat y\\) = 3 and \\(L\\) = 1" in text
    for symbol, value in [
        ("\\hat y", "-2"),
        ("v", "-12"),
        ("a", "-1"),
        ("h", "-1"),
        ("w", "-2"),
        ("x", "-3"),
    ]:
        pattern = (
            re.escape(f"\\(\\partial L/\\partial {symbol}\\)")
            + r" \\\(.*?\\\) "
            + re.escape(value)
            + " "
        )
        assert re.search(pattern, text), f"dL/d{symbol} = {value} not shown"
    assert "they give (-3.0000, -2.0000, -12.0000)" in text
    acc = float(re.search(r"classifies (\d+\.\d) % of the 450 held-out", text).group(1))
    assert acc >= 95.0
    rel = float(re.search(r"two-hidden-layer network is (\S+): ", text).group(1))
    assert rel < 1e-7


def test_digits_accuracy_glued_matches_a_fresh_run(site):
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    X, y = load_digits(return_X_y=True)
    Xtr, Xte, ytr, yte = train_test_split(
        X / 16.0, y, test_size=0.25, random_state=0, stratify=y
    )
    acc = 100 * MLP(hidden_sizes=(64,), learning_rate=0.02, rng=0).fit(Xtr, ytr).score(
        Xte, yte
    )
    assert f"classifies {acc:.1f} %" in site.text(f"{CH2}/backpropagation")


def test_attention_page(site):
    text = site.text(f"{CH2}/attention")
    assert (
        "the naive formula returns (NaN, 0) (the first entry is infinity divided by "
        "infinity)" in text
    )
    assert "mlmath.softmax returns (1, 0)" in text
    assert "Every row sums to 1" in text
    assert "the weights above the diagonal are exactly 0" in text
    unscaled = float(re.search(r"weights averages (\d\.\d+)", text).group(1))
    scaled = float(
        re.search(r"With the scale the largest weight is (\d\.\d+)", text).group(1)
    )
    assert unscaled > 0.9 and scaled < 0.4
    assert "Vaswani et al., 2017" in text


def test_lagrange_page(site):
    text = site.text(f"{CH3}/lagrange")
    assert "\\((x, y)\\) = (0.5, 0.5) with \\(f^\\star\\) = 0.5" in text
    assert "\\(\\lambda^\\star\\) = -1" in text
    assert "gives 1.0000, which is \\(-\\lambda^\\star\\)" in text


def test_svm_page(site):
    text = site.text(f"{CH3}/svm")
    assert "\\(\\vect{\\alpha}\\) = (0.5, 0, 0, 0.5)" in text
    assert "= (0, 1) and \\(b\\) = -1" in text
    assert "margin width \\(2/\\norm{\\vect{w}}\\) is 2" in text
    assert "that is (1, 2) and (1, 0)" in text
    assert "its decision value is -1, so it lies exactly on the margin" in text
    assert "support vectors coincide." in text
    rbf = float(re.search(r"reaches (\d+\.\d) %", text).group(1))
    linear = float(re.search(r"linear SVM classifies (\d+\.\d) %", text).group(1))
    assert rbf > linear and rbf >= 90
    assert "Cortes and Vapnik, 1995" in text


def test_admm_page(site):
    text = site.text(f"{CH3}/admm")
    A, b = lasso_problem()
    fixed = admm_lasso(A, b, 0.5, rho=1.0, adaptive_rho=False)
    capped = admm_lasso(A, b, 0.5, rho=1.0, adaptive_rho=False, max_iter=200)
    assert fixed.converged and not capped.converged
    assert f"after {fixed.n_iter} iterations" in text
    assert f"The solution has {fixed.nnz} non-zero coefficients" in text
    assert f"finds the same {fixed.nnz} non-zeros" in text
    cut = int(np.sum(np.abs(fixed.x) > 0.01))
    assert f"larger than 0.01 in absolute value gives {cut} here" in text
    assert "“6 non-zeros, converged in 200 iterations”" in text
    assert "Stopped there, the result says not converged:" in text
    assert (
        f"ADMM converges after {fixed.n_iter} iterations (its result says converged)"
        in text
    )
    adaptive = admm_lasso(A, b, 0.5)
    assert f"converges in {adaptive.n_iter} iterations" in text
    assert re.search(
        r"consensus ADMM converges to the centralised solution in \d+ iterations "
        r"\(its result says converged\)",
        text,
    )
    assert "Boyd et al., 2011" in text


@pytest.mark.parametrize(("chapter", "n_min"), [(CH2, 4), (CH3, 4)])
def test_exercises_with_hidden_solutions(site, chapter, n_min):
    html = site.html(f"{chapter}/exercises")
    assert html.count('class="exercise admonition"') >= n_min
    assert html.count('class="solution dropdown admonition"') >= n_min
    text = site.text(f"{chapter}/exercises")
    if chapter == CH3:
        assert (
            "\\((x, y)\\) = (2, 1), \\(\\lambda\\) = -4 and \\(f^\\star\\) = 6" in text
        )
    else:
        assert "\\(\\nabla f\\) = (2, 1)" in text
        assert "0.6225" in text


@pytest.mark.parametrize("chapter", [CH2, CH3])
def test_index_pages_link_every_section(site, chapter):
    html = site.html(f"{chapter}/index")
    sections = (
        ["gradients", "backpropagation", "attention", "exercises"]
        if chapter == CH2
        else ["lagrange", "svm", "admm", "exercises"]
    )
    for section in sections:
        assert f'href="{section}.html"' in html
    assert "Learning objectives" in site.text(f"{chapter}/index")


# -- Chapter 2 additions: layout convention, Hessian, step size, cost, attention ---

def _number(pattern: str, text: str) -> float:
    match = re.search(pattern, text)
    assert match, f"pattern not found: {pattern}"
    return float(match.group(1))


def test_gradients_page_hessian_taylor_and_step_size(site):
    text = site.text(f"{CH2}/gradients")
    assert "Layout convention of this chapter" in text
    assert "numerator layout" in text and "denominator layout" in text
    # the quadratic model beats the linear one (values recomputed here)
    exact = np.exp(0.1) + 0.1 * 1.1**2
    lin = _number(r"linear model is off by (\d\.\d+)", text)
    quad = _number(r"quadratic model by only (\d\.\d+)", text)
    assert lin == pytest.approx(abs(exact - 1.2), abs=1e-4)
    assert quad == pytest.approx(abs(exact - 1.225), abs=1e-5)
    assert quad < lin / 10
    # step-size experiment: the order stated in the prose, recomputed independently
    H = np.array([[2.0, 1.0], [1.0, 2.0]])

    def final_f(eta):
        x = np.array([1.0, 2.0])
        for _ in range(25):
            x = x - eta * H @ x
        return 0.5 * x @ H @ x

    finals = {eta: final_f(eta) for eta in (0.1, 0.5, 0.6, 0.7)}
    assert finals[0.5] < finals[0.6] < finals[0.1] < 7.0 < finals[0.7]
    assert "the smallest final value is at \\(\\eta =\\) 0.5" in text
    assert "predicts convergence for \\(\\eta <\\) 0.667" in text
    shown = _number(r"it has grown to (\d+)", text)
    assert shown == pytest.approx(finals[0.7], abs=0.5)


def test_backpropagation_page_cost_and_vanishing(site):
    text = site.text(f"{CH2}/backpropagation")
    # one cost statement, and no leftover of the old ones
    assert "about the cost of one forward sweep" not in text
    assert "costs about twice the forward pass" not in text
    forward = 64 * 64 + 64 * 10
    backward = forward + 64 * 10
    assert f"= {forward} multiply–adds" in text
    assert f"{backward} multiply–adds" in text
    ratio = _number(r"multiply–adds, (\d\.\d+) times the forward pass", text)
    assert ratio == pytest.approx(backward / forward, abs=0.005) and 1 < ratio < 2
    assert "Forward mode would need 4810 sweeps" in text
    after_ce = text.split("softmax–cross")[1]
    assert _number(r"agree with .{0,40}?to (\S+)\.", after_ce) < 1e-6
    # vanishing / exploding: the orders of magnitude the prose states
    relu1 = _number(r"by a factor of (\S+) with ReLU and variance", text)
    relu4 = _number(r"by (\S+) with variance \\\(4/n\\\)", text)
    he = _number(r"by only (\S+) with He initialisation", text)
    sigmoid = _number(r"and by (\S+) with sigmoid units", text)
    assert sigmoid < relu1 < 1e-2 and relu4 > 1e2 and 0.05 < he < 20


def test_attention_page_row_by_hand_and_gradients(site):
    text = site.text(f"{CH2}/attention")
    assert "True" in text and "may attend" in text
    # one row by hand, recomputed without mlmath
    X = np.array([[0.1, 0.2, 0.1, 0.3], [0.5, 0.4, 0.6, 0.2], [0.3, 0.5, 0.2, 0.4]])
    rng = np.random.default_rng(42)
    W_Q, W_K, W_V = (0.5 * rng.standard_normal((4, 3)) for _ in range(3))
    Q, K, V = X @ W_Q, X @ W_K, X @ W_V
    s = K @ Q[2] / np.sqrt(3)
    w = np.exp(s - s.max()) / np.exp(s - s.max()).sum()
    for value in (*s, *w):
        assert f"{value:.4f}" in text
    out = ", ".join(f"{v:.3f}" for v in w @ V)
    assert f"= ({out}), the third row of output" in text
    checks = text.split("The largest differences are")[1]
    for name in "QKV":
        err = _number(rf"(\S+) for \\\({name}\\\)", checks)
        assert err < 1e-7
    gv = _number(r"the largest entry of \\\(\\bar V\\\) is (\d\.\d+)", text)
    gq = _number(r"of \\\(\\bar Q\\\) only (\d\.\d+)", text)
    assert gq < gv
    assert "MultiHead" in text


def test_ch2_exercises_new_solutions(site):
    text = site.text(f"{CH2}/exercises")
    assert "\\frac{h^4}{24}" in text  # the Taylor expansion renders as one display
    assert "<li><p>\\frac" not in site.html(f"{CH2}/exercises")
    assert "after 40 steps the norm is still 0.7071" in text
    assert "converges for \\(0 < \\eta <\\) 0.5" in text


# -- Chapter 2 referee fixes: claims that were typed or only implied, now decided ------
def test_gradients_page_taylor_orders_are_measured(site):
    text = site.text(f"{CH2}/gradients")
    lin = _number(r"fitted log-log slopes are (\d\.\d+)", text)
    quad = _number(r"fitted log-log slopes are \d\.\d+ and (\d\.\d+)", text)
    assert lin == pytest.approx(2.0, abs=0.01) and quad == pytest.approx(3.0, abs=0.01)
    assert "lines rising from left to right" in site.html(f"{CH2}/gradients")


def test_backpropagation_page_names_the_weight_penalty(site):
    text = site.text(f"{CH2}/backpropagation")
    assert "mean cross-entropy plus the L2 weight penalty" in text
    loss = _number(r"in the first epoch to (\d\.\d+) in the last", text)
    penalty = _number(r"About (\d\.\d+) of this is the weight penalty", text)
    # recomputed without mlmath: 0.5 * 1e-4 * sum ||W||^2 of a fresh run is about 0.015
    assert 0.2 * loss < penalty < 0.5 * loss
    assert "was first analysed" not in text


def test_attention_page_explains_the_small_query_gradient(site):
    text = site.text(f"{CH2}/attention")
    jac = _number(r"Frobenius norm (\d\.\d+) for the row of", text)
    jac_max = _number(r"close to the largest value, (\d\.\d+)", text)
    # uniform weights over three keys: ||diag(p) - pp'||_F = sqrt(2)/3
    assert jac == pytest.approx(np.sqrt(2) / 3, abs=0.01) and jac_max == 0.5
    assert jac > 0.9 * jac_max
    assert "close to the values for" not in text
    lo = _number(r"the scaled curves stay between (\d\.\d+)", text)
    hi = _number(r"the scaled curves stay between \d\.\d+ and (\d\.\d+)", text)
    assert 0.15 < lo < hi < 0.3  # flat, far below the unscaled 0.956 at d_k = 512


def test_ch2_exercise_fd_error_is_glued(site):
    text = site.text(f"{CH2}/exercises")
    err = _number(r"returns the same vector up to (\S+)\.", text)
    assert 0 < err < 1e-9

def test_lagrange_page_duality(site):
    """Weak and strong duality on the worked example, and the new theory boxes."""
    html = site.html(f"{CH3}/lagrange")
    for label in (
        "def-ch3-convex",
        "thm-ch3-local-global",
        "def-ch3-dual",
        "thm-ch3-weak-duality",
        "thm-ch3-slater",
        "thm-ch3-kkt",
    ):
        assert f'id="{label}"' in html, label
    assert 'id="fig-ch3-dual-function"' in html
    text = site.text(f"{CH3}/lagrange")
    m = re.search(
        r"returns \\\(p\^\\star\\\) = (\d\.\d{6}) at .*?largest\s+value of "
        r"\\\(q\\\) on a grid .*? is (\d\.\d{6}), at\s+\\\(\\lambda\\\) = "
        r"(\d\.\d\d): a duality gap of (\S+)\.",
        text,
        flags=re.S,
    )
    assert m, "duality example missing"
    p_star, d_star, lam, gap = (float(v) for v in m.groups())
    assert p_star == d_star == 0.5 and lam == 1.0 and gap < 1e-12
    assert "(converged in" in text


def test_svm_page_soft_margin_and_convergence(site):
    text = site.text(f"{CH3}/svm")
    html = site.html(f"{CH3}/svm")
    assert 'id="fig-ch3-svm-soft"' in html
    m = re.search(
        r"(\d+) points have \\\(\\alpha_i = C\\\) \(scikit-learn.s .?SVC.? finds "
        r"the same (\d+)\): their margins .*? run from\s+(-?\d\.\d{3}) to "
        r"(-?\d\.\d{3}), all at most 1",
        text,
        flags=re.S,
    )
    assert m, "bound support vectors not described"
    n_bound, n_sk, lo, hi = int(m[1]), int(m[2]), float(m[3]), float(m[4])
    assert n_bound == n_sk > 0 and lo <= hi <= 1
    gap = float(re.search(r"a gap of\s+(\S+)\. Along the way", text)[1])
    assert abs(gap) < 1e-10
    assert re.search(r"SMO stopped by its tolerance after\s+\d+ pair updates", text)
    assert "Both fits stopped by the tolerance" in text
    assert "diag}(\\vect{y})K\\vect{\\alpha} - \\vect{1}" in text  # the notebook's slip


def test_admm_page_path_order_and_equal_rho(site):
    text = site.text(f"{CH3}/admm")
    assert "in the\norder x1, x3, x2, x8, x10, x4, x5" in text or (
        "order x1, x3, x2, x8, x10, x4, x5" in " ".join(text.split())
    )
    A, b = lasso_problem()
    flat = " ".join(text.split())
    for rho in (1, 5, 10, 20):
        n_central = admm_lasso(A, b, 0.5, rho=float(rho), adaptive_rho=False).n_iter
        assert f"{n_central}" in flat
    m = re.search(
        r"Consensus needs more iterations at \\\(\\rho\\\) = ([\d, ]+) and fewer "
        r"at \\\(\\rho\\\) = ([\d, ]+):",
        flat,
    )
    assert m and m[1].strip() and m[2].strip(), "equal-rho comparison missing"
    assert (
        "The five truly non-zero coefficients (coloured) enter first"
        not in site.html(f"{CH3}/admm")
    )


def test_admm_page_other_null_coefficients_and_errata_residuals(site):
    """The caption no longer says the null coefficients leave zero 'until lambda is
    small': the glued bounds say how late and how small; the errata name the residual
    that fails at the cap."""
    flat = " ".join(site.text(f"{CH3}/admm").split())
    m = re.search(
        r"other null coefficients enter only at \\\(\\lambda\\approx\\\) (\d\.\d) or "
        r"below and never exceed (0\.\d{3}) in absolute value",
        flat,
    )
    assert m and float(m[1]) < 2.5 and float(m[2]) < 0.03
    assert "until λ is small" not in site.html(f"{CH3}/admm")
    errata = " ".join(site.text("book/errata").split())
    assert "is not met: the primal residual is still above its tolerance" in errata
