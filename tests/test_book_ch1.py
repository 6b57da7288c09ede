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


# --- referee rows and additions of issue 13: each claim checked against a fresh
# computation with NumPy/SciPy/NetworkX, not against the page's own code -------------

import re  # noqa: E402

import networkx as nx  # noqa: E402
import numpy as np  # noqa: E402

NEW_FIGURES = {
    "convolution": "fig-ch1-conv2d",
    "transformations": "fig-ch1-eigen",
    "matrix-factorization": "fig-ch1-spectrum",
}

FOUR_PAGES = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 0, 0, 0], [1, 1, 1, 0]])


def _nx_ranks(A, **kwargs):
    ranks = nx.pagerank(nx.from_numpy_array(A, create_using=nx.DiGraph), tol=1e-13,
                        **kwargs)
    return np.array([ranks[i] for i in range(A.shape[0])])


@pytest.mark.parametrize(("page", "label"), NEW_FIGURES.items())
def test_new_figures_are_built(site, page, label):
    assert f'id="{label}"' in site.html(f"{CH1}/{page}")


def test_no_rendering_slips_in_chapter_1(site):
    for page in [*EXPECTED, "exercises", "index"]:
        text = site.text(f"{CH1}/{page}")
        assert "0e+00" not in text, page
        assert "Theorem Theorem" not in text, page
        assert "Definition Definition" not in text, page


def test_dangling_exercise_says_page_2_now_leads(site):
    text = site.text(f"{CH1}/exercises")
    A = FOUR_PAGES.copy()
    A[2, 0] = 0
    after, before = _nx_ranks(A), _nx_ranks(FOUR_PAGES)
    assert after.argmax() == 2 and before.argmax() == 0
    assert f"Page 2 now ranks first ({after[2]:.4f})" in text
    assert f"page 0 led ({before[0]:.4f} against {before[2]:.4f}" in text
    assert "still ranks first" not in text


def test_personalised_pagerank_matches_networkx(site):
    text = site.text(f"{CH1}/pagerank")
    r = _nx_ranks(FOUR_PAGES, alpha=0.85, personalization={3: 1.0})
    assert f"Page 3 now holds {r[3]:.4f}" in text
    assert f"Page 0 still ranks first ({r[0]:.4f})" in text
    assert "left eigenvector" in text
    assert "Banach fixed-point theorem" in text


def test_convolution_statements(site):
    text = site.text(f"{CH1}/convolution")
    assert "Winograd’s minimal filtering for small kernels" in text
    assert "FFT-based convolution for large kernels" in text
    y, k = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, -1.0])
    full = np.convolve(y, k, "full").astype(int).tolist()
    assert f"= {full}, the full convolution" in text
    # PyTorch's conv_transpose1d of y with weight k is sum_i y_i k shifted by i:
    ref = np.zeros(5)
    for i, yi in enumerate(y):
        ref[i:i + 3] += yi * k
    assert ref.astype(int).tolist() == full
    assert "twice the ramp’s slope" in text


def test_conv2d_worked_example_and_scipy(site):
    from scipy.signal import correlate2d

    text = site.text(f"{CH1}/convolution")
    img = np.array([[0, 0, 1, 1, 1]] * 4, dtype=float)
    edge = np.array([[-1, 0, 1]] * 3, dtype=float)
    valid = correlate2d(img, edge, mode="valid")
    strided = correlate2d(np.pad(img, 1), edge, mode="valid")[::2, ::2]
    assert f"output is {valid.shape[0]} × {valid.shape[1]}" in text
    assert strided.shape == (2, 3)
    assert f"reads as a falling edge: {strided[0, -1]:.0f}" in text
    assert "im2col matrix is 12 × 27" in text


def test_cosine_page_claims(site):
    text = site.text(f"{CH1}/cosine-similarity")
    from scipy.spatial.distance import cosine

    E = np.array([[0.70, 0.50, 0.10], [0.60, 0.60, 0.20], [0.65, 0.55, 0.12],
                  [0.10, 0.20, 0.90], [0.15, 0.18, 0.85]])
    car_truck, cat_kitten = 1 - cosine(E[3], E[4]), 1 - cosine(E[0], E[2])
    assert car_truck > cat_kitten
    assert (f"car and truck (similarity {car_truck:.3f}), just ahead of cat and kitten "
            f"({cat_kitten:.3f})") in text
    offset = 1 - cosine(E[1] - E[0], E[4] - E[3])
    assert offset < 0 and f"is {offset:.3f})" in text


def test_matrix_factorization_decomposition_is_what_the_page_says(site):
    from mlmath import MatrixFactorization

    text = site.text(f"{CH1}/matrix-factorization")
    ratings = np.array([[5, 3, 0, 1, 0], [4, 0, 0, 1, 0], [1, 1, 0, 5, 0],
                        [0, 0, 5, 4, 0], [0, 1, 5, 4, 0]], dtype=float)
    R = np.where(ratings == 0, np.nan, ratings)
    mf = MatrixFactorization(n_factors=3, lr=0.01, reg=0.01, n_epochs=100, seed=0)
    mf.fit(R)
    inter = mf.P_ @ mf.Q_.T
    assert f"only {inter[1, 2]:+.3f} and {inter[3, 0]:+.3f}" in text
    U, s, Vt = np.linalg.svd(ratings)
    svd2 = (U[:, :2] * s[:2]) @ Vt[:2]
    obs = ~np.isnan(R)
    assert f"training RMSE of {np.sqrt(np.mean((svd2 - R)[obs] ** 2)):.2f}" in text
    assert "fares worse everywhere" not in text


def test_pca_spectrum_gap(site):
    text = site.text(f"{CH1}/matrix-factorization")
    gap = float(re.search(r"a factor of (\d+\.\d)", text).group(1))
    assert gap > 3
    share = float(re.search(r"fraction (0\.\d+) of the variance", text).group(1))
    assert 0.5 < share < 1


def test_eigen_worked_example(site):
    text = site.text(f"{CH1}/transformations")
    lam = np.linalg.eigvalsh(np.array([[2.0, 1.0], [1.0, 2.0]]))
    assert f"The eigenvalues are {lam[1]:.0f} and {lam[0]:.0f}" in text
    assert "m = n" in text
    assert "sum the trace 4" in text


# --- second review of Chapter 1: corrected statements, checked independently -------


def test_transposed_true_convolution_is_not_called_a_mirror_image(site):
    y, k = np.array([1.0, 2.0, 3.0]), np.array([1.0, 0.0, -1.0])
    flipped = np.convolve(y, k[::-1], "full")          # T^T y, T the true-conv matrix
    assert not np.array_equal(flipped, np.convolve(y, k, "full")[::-1])
    assert np.array_equal(flipped, -np.convolve(y, k, "full"))   # k is antisymmetric
    text = site.text(f"{CH1}/convolution")
    assert f"gives {flipped.astype(int).tolist()}; for this antisymmetric" in text
    for page in ("convolution", "exercises"):
        assert "mirror image" not in site.text(f"{CH1}/{page}"), page


def test_second_eigenvalue_is_d_with_two_closed_groups():
    # the page's claim after Haveliwala and Kamvar: two closed groups of pages
    # (here the 2-cycles {0, 1} and {2, 3}, fed by page 4) force |lambda_2| = d
    d, n = 0.85, 5
    A = np.zeros((n, n))
    A[0, 1] = A[1, 0] = A[2, 3] = A[3, 2] = 1
    A[4, [0, 2]] = 1
    P = A / A.sum(axis=1, keepdims=True)
    G = d * P + (1 - d) / n
    moduli = np.sort(np.abs(np.linalg.eigvals(G)))[::-1]
    assert np.isclose(moduli[0], 1) and np.isclose(moduli[1], d)
    # and the four-page web of the page mixes faster than d
    P4 = FOUR_PAGES / FOUR_PAGES.sum(axis=1, keepdims=True)
    moduli4 = np.sort(np.abs(np.linalg.eigvals(d * P4 + (1 - d) / 4)))[::-1]
    assert moduli4[1] < 0.6 * d


def test_pagerank_page_states_the_real_web_case_and_myriel_leaves(site):
    text = site.text(f"{CH1}/pagerank")
    assert "two closed groups of pages that no link leaves" in text
    assert "the guaranteed factor" in text
    G = nx.les_miserables_graph()
    leaves = [v for v in G["Myriel"] if G.degree(v) == 1]
    assert f"Of the minor characters, {len(leaves)} appear with Myriel" in text


def test_als_objective_counts_the_penalty_once_per_factor(site):
    text = site.text(f"{CH1}/matrix-factorization")
    assert "once per factor vector" in text
    assert "weighted-" in text


def test_dot_product_length_ratio(site):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    ratio = np.sqrt(y @ y) / np.sqrt(x @ x)
    assert ratio > 2
    text = site.text(f"{CH1}/dot-product")
    assert f"more than twice as long ({ratio:.2f} times)" in text
