"""Chapter 1: unit, error, property and cross-check tests for mlmath.linalg."""

from __future__ import annotations

import warnings

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy import signal
from scipy.spatial.distance import cosine as scipy_cosine_distance

from mlmath import (
    ConvergenceWarning,
    MatrixFactorization,
    als_update,
    conv_output_size,
    convolve1d,
    convolve2d,
    cosine_similarity,
    cosine_similarity_matrix,
    cross_correlate1d,
    cross_correlate2d,
    im2col1d,
    im2col2d,
    low_rank_approximation,
    pagerank,
    projection_matrix,
    rotation_matrix,
    scaling_matrix,
    shear_matrix,
    toeplitz_matrix,
    vector_angle,
)

finite = st.floats(-100, 100, allow_nan=False, allow_infinity=False)
PAGES4 = np.array([[0, 1, 1, 0], [1, 0, 1, 0], [1, 0, 0, 0], [1, 1, 1, 0]])


def vectors(n: int):
    return arrays(float, n, elements=finite)


# --- dot product, angle, cosine similarity ---------------------------------------


def test_worked_example_angle():
    x, y = np.array([1, 2, 3]), np.array([4, 5, 6])
    assert x @ y == 32
    theta = vector_angle(x, y)
    assert theta == pytest.approx(np.degrees(np.arccos(32 / np.sqrt(14 * 77))))
    assert round(theta, 2) == 12.93
    assert vector_angle(x, y, degrees=False) == pytest.approx(np.radians(theta))
    assert isinstance(theta, float)


def test_angle_of_parallel_and_antiparallel_vectors_is_exact():
    v = np.array([0.1, 0.7, 0.3])
    # arccos(cos) would be off by about 1e-6 degrees here; the atan2 form is not
    assert vector_angle(v, 3 * v) == pytest.approx(0.0, abs=1e-12)
    assert vector_angle(v, -2 * v) == pytest.approx(180.0, abs=1e-12)
    assert vector_angle([1, 1e-9], [1, 0], degrees=False) == pytest.approx(1e-9)


def test_cosine_similarity_toy_embeddings():
    cat, dog = [0.7, 0.5, 0.1], [0.6, 0.6, 0.2]
    assert cosine_similarity(cat, dog) == pytest.approx(0.74 / np.sqrt(0.75 * 0.76))
    car = [0.1, 0.2, 0.9]
    assert cosine_similarity(cat, car) < 0.5


@settings(max_examples=100, deadline=None)
@given(vectors(5), vectors(5))
def test_cosine_similarity_in_unit_interval_and_matches_scipy(a, b):
    if np.linalg.norm(a) < 1e-3 or np.linalg.norm(b) < 1e-3:
        return
    s = cosine_similarity(a, b)
    assert -1.0 <= s <= 1.0
    assert s == pytest.approx(1 - scipy_cosine_distance(a, b), abs=1e-9)
    assert s == pytest.approx(cosine_similarity(b, a))


@settings(max_examples=50, deadline=None)
@given(arrays(float, (4, 3), elements=st.floats(0.1, 10)))
def test_cosine_similarity_matrix_matches_pairwise(X):
    S = cosine_similarity_matrix(X)
    assert S.shape == (4, 4)
    np.testing.assert_allclose(S, S.T)
    np.testing.assert_allclose(np.diag(S), 1.0)
    for i in range(4):
        for j in range(4):
            assert S[i, j] == pytest.approx(cosine_similarity(X[i], X[j]), abs=1e-12)


@pytest.mark.parametrize(
    ("func", "args", "match"),
    [
        (vector_angle, ([1, 2], [1, 2, 3]), r"`x` and `y` must have the same shape"),
        (vector_angle, ([0, 0, 0], [1, 2, 3]), r"`x` must not be the zero vector"),
        (vector_angle, ([1, 2, 3], [0, 0, 0]), r"`y` must not be the zero vector"),
        (vector_angle, ([], []), r"`x` must not be empty"),
        (vector_angle, ([1, np.nan], [1, 2]), r"`x` must not contain NaN"),
        (vector_angle, ([[1, 2]], [1, 2]), r"`x` must be a 1-D array"),
        (
            cosine_similarity,
            ([1, 2], [1, 2, 3]),
            r"`a` and `b` must have the same shape",
        ),
        (cosine_similarity, ([1, 2], [0, 0]), r"`b` must not be the zero vector"),
        (cosine_similarity, ([1, np.inf], [1, 2]), r"`a` must not contain infinity"),
        (cosine_similarity_matrix, ([[1, 2], [0, 0]],), r"`X` must not have zero rows"),
        (cosine_similarity_matrix, ([1, 2],), r"`X` must be a 2-D array"),
    ],
)
def test_angle_and_similarity_errors(func, args, match):
    with pytest.raises(ValueError, match=match):
        func(*args)


def test_non_numeric_input_is_a_type_error():
    with pytest.raises(TypeError, match=r"`x` must be numeric"):
        vector_angle(["a", "b"], [1, 2])


# --- transformations ---------------------------------------------------------------


def test_rotation_worked_example():
    np.testing.assert_allclose(rotation_matrix(45) @ [1, 0], [np.sqrt(0.5)] * 2)
    np.testing.assert_allclose(
        rotation_matrix(np.pi / 2, degrees=False) @ [1, 0], [0, 1], atol=1e-15
    )


@settings(max_examples=50, deadline=None)
@given(st.floats(-720, 720), vectors(2))
def test_rotation_is_orthogonal_and_preserves_length(theta, v):
    R = rotation_matrix(theta)
    np.testing.assert_allclose(R.T @ R, np.eye(2), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    assert np.linalg.norm(R @ v) == pytest.approx(np.linalg.norm(v), abs=1e-9)


def test_scaling_and_shear():
    assert np.linalg.det(scaling_matrix(2, 0.5)) == pytest.approx(1.0)
    assert np.linalg.det(scaling_matrix(3, 2)) == pytest.approx(6.0)
    np.testing.assert_allclose(shear_matrix(0.5) @ [1, 1], [1.5, 1])
    assert np.linalg.det(shear_matrix(7)) == pytest.approx(1.0)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: rotation_matrix("45"), TypeError, r"`theta` must be a real number"),
        (lambda: rotation_matrix(np.nan), ValueError, r"`theta` must be finite"),
        (lambda: scaling_matrix(1, None), TypeError, r"`sy` must be a real number"),
        (lambda: shear_matrix(np.inf), ValueError, r"`k` must be finite"),
    ],
)
def test_transformation_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- convolution ---------------------------------------------------------------------


def test_convolution_worked_example():
    x, k = [1, 2, 3, 4, 5], [1, 0, -1]
    np.testing.assert_array_equal(convolve1d(x, k), [2, 2, 2])
    np.testing.assert_array_equal(cross_correlate1d(x, k), [-2, -2, -2])
    np.testing.assert_array_equal(toeplitz_matrix(k, 5) @ x, [2, 2, 2])
    np.testing.assert_array_equal(im2col1d(x, 3)[1], [2, 3, 4])


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 12).flatmap(lambda n: st.tuples(vectors(n), st.integers(1, n))),
    st.data(),
)
def test_convolution_matches_numpy(xn, data):
    x, m = xn
    k = data.draw(vectors(m))
    np.testing.assert_allclose(convolve1d(x, k), np.convolve(x, k, "valid"), atol=1e-9)
    np.testing.assert_allclose(
        cross_correlate1d(x, k), np.correlate(x, k, "valid"), atol=1e-9
    )
    np.testing.assert_allclose(
        toeplitz_matrix(k, x.size) @ x, convolve1d(x, k), atol=1e-9
    )
    # convolution is cross-correlation with the flipped kernel
    np.testing.assert_allclose(convolve1d(x, k), cross_correlate1d(x, k[::-1]))


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (
            lambda: convolve1d([1, 2], [1, 2, 3]),
            r"`kernel` \(length 3\) must not be longer",
        ),
        (lambda: cross_correlate1d([1, 2, 3], []), r"`kernel` must not be empty"),
        (lambda: convolve1d([1, np.nan, 3], [1]), r"`x` must not contain NaN"),
        (lambda: im2col1d([1, 2, 3], 4), r"`width` must be in \[1, 3\]"),
        (lambda: toeplitz_matrix([1, 2, 3], 2), r"`n` must be in \[3, inf\)"),
    ],
)
def test_convolution_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()


def test_im2col_width_must_be_an_integer():
    with pytest.raises(TypeError, match=r"`width` must be an integer"):
        im2col1d([1, 2, 3], 2.0)


# --- PageRank ---


def test_pagerank_worked_example_exact_fractions():
    ranks, residuals = pagerank(PAGES4)
    np.testing.assert_allclose(
        ranks, [2849 / 6840, 77 / 342, 77 / 240, 3 / 80], atol=1e-10
    )
    assert residuals[-1] < 1e-10
    assert np.all(np.diff(residuals) <= 1e-15)  # the error contracts every step


def test_pagerank_is_the_eigenvector_of_the_google_matrix():
    d, n = 0.85, 4
    P = PAGES4 / PAGES4.sum(axis=1, keepdims=True)
    G = d * P + (1 - d) / n
    ranks, _ = pagerank(PAGES4, damping=d)
    np.testing.assert_allclose(G.T @ ranks, ranks, atol=1e-10)


def _random_graph(n, p, seed, dangling_frac=0.3):
    rng = np.random.default_rng(seed)
    A = (rng.random((n, n)) < p).astype(float) * rng.uniform(0.5, 2.0, (n, n))
    np.fill_diagonal(A, 0)
    A[rng.random(n) < dangling_frac] = 0  # pages with no out-links
    return A


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize("sparse", [False, True])
def test_pagerank_matches_networkx_with_dangling_nodes(seed, sparse):
    A = _random_graph(30, 0.15, seed)
    assert (A.sum(axis=1) == 0).any()
    ours, _ = pagerank(sp.csr_array(A) if sparse else A, damping=0.8, tol=1e-13)
    G = nx.from_numpy_array(A, create_using=nx.DiGraph)
    ref = nx.pagerank(G, alpha=0.8, tol=1e-14, max_iter=10_000, weight="weight")
    np.testing.assert_allclose(ours, [ref[i] for i in range(30)], atol=1e-10)


def test_pagerank_sparse_stays_sparse():
    n = 20_000
    rng = np.random.default_rng(1)
    A = sp.random_array((n, n), density=5 / n, rng=rng, format="csr")
    ranks, _ = pagerank(A)  # a dense copy would need 3.2 GB
    assert ranks.shape == (n,)
    assert ranks.sum() == pytest.approx(1.0)


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 9), st.integers(0, 10_000), st.floats(0.05, 0.95))
def test_pagerank_is_a_probability_vector(n, seed, damping):
    A = _random_graph(n, 0.3, seed, dangling_frac=0.4)
    ranks, residuals = pagerank(A, damping=damping)
    assert np.all(ranks >= 0)
    assert ranks.sum() == pytest.approx(1.0, abs=1e-12)
    assert residuals.ndim == 1 and residuals.size >= 1


def test_pagerank_warns_when_not_converged():
    with pytest.warns(ConvergenceWarning, match="did not reach tol"):
        _, residuals = pagerank(PAGES4, max_iter=3)
    assert residuals.size == 3
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        pagerank(PAGES4)


@pytest.mark.parametrize(
    ("kwargs", "exc", "match"),
    [
        ({"adjacency": np.ones((2, 3))}, ValueError, r"`adjacency` must be a square"),
        (
            {"adjacency": sp.csr_array(np.ones((2, 3)))},
            ValueError,
            r"`adjacency` must be a square",
        ),
        ({"adjacency": -PAGES4}, ValueError, r"`adjacency` must have non-negative"),
        (
            {"adjacency": sp.csr_array(-PAGES4)},
            ValueError,
            r"`adjacency` must have non-negative",
        ),
        ({"adjacency": np.full((2, 2), np.nan)}, ValueError, r"`adjacency` must not"),
        ({"adjacency": np.zeros((0, 0))}, ValueError, r"`adjacency` must not be empty"),
        ({"damping": 1.0}, ValueError, r"`damping` must be in \(0, 1\)"),
        ({"damping": 0}, ValueError, r"`damping` must be in \(0, 1\)"),
        ({"tol": 0}, ValueError, r"`tol` must be in \(0, inf\)"),
        ({"max_iter": 0}, ValueError, r"`max_iter` must be in \[1, inf\)"),
        ({"max_iter": 2.5}, TypeError, r"`max_iter` must be an integer"),
    ],
)
def test_pagerank_errors(kwargs, exc, match):
    kwargs.setdefault("adjacency", PAGES4)
    with pytest.raises(exc, match=match):
        pagerank(**kwargs)


# --- SVD and matrix factorisation ---

TOY = np.array(
    [
        [5, 3, 0, 1, 0],
        [4, 0, 0, 1, 0],
        [1, 1, 0, 5, 0],
        [0, 0, 5, 4, 0],
        [0, 1, 5, 4, 0],
    ],
    dtype=float,
)


def test_low_rank_approximation_matches_eckart_young():
    rng = np.random.default_rng(0)
    M = rng.normal(size=(8, 6))
    s = np.linalg.svd(M, compute_uv=False)
    for k in range(1, 7):
        err = np.linalg.norm(M - low_rank_approximation(M, k))
        assert err == pytest.approx(np.sqrt((s[k:] ** 2).sum()), abs=1e-10)


def test_matrix_factorization_fits_observed_and_cold_start_item():
    R = np.where(TOY == 0, np.nan, TOY)
    mf = MatrixFactorization(n_factors=3, lr=0.01, reg=0.01, n_epochs=100, seed=0)
    R_hat = mf.fit(R).predict()
    observed = ~np.isnan(R)
    assert mf.loss_history_[-1] < mf.loss_history_[0]
    assert np.sqrt(np.mean((R_hat - R)[observed] ** 2)) == pytest.approx(
        mf.loss_history_[-1]
    )
    # item 4 has no ratings: its factors and bias stay zero, prediction = mu + b_u
    np.testing.assert_array_equal(mf.Q_[4], 0.0)
    assert mf.item_bias_[4] == 0.0
    np.testing.assert_allclose(R_hat[:, 4], mf.mu_ + mf.user_bias_)


def test_matrix_factorization_recovers_low_rank_matrix():
    rng = np.random.default_rng(3)
    U, V = rng.normal(size=(60, 2)), rng.normal(size=(40, 2))
    full = 3 + U @ V.T
    mask = rng.random(full.shape) < 0.5
    mf = MatrixFactorization(n_factors=2, lr=0.02, reg=0.001, n_epochs=150, seed=0)
    pred = mf.fit(np.where(mask, full, np.nan)).predict()
    held_out = np.sqrt(np.mean((pred - full)[~mask] ** 2))
    baseline = np.sqrt(np.mean((full[mask].mean() - full)[~mask] ** 2))
    assert held_out < 0.3 * baseline


def test_matrix_factorization_is_reproducible():
    R = np.where(TOY == 0, np.nan, TOY)
    a = MatrixFactorization(seed=7, n_epochs=5).fit(R).predict()
    b = MatrixFactorization(seed=7, n_epochs=5).fit(R).predict()
    c = MatrixFactorization(seed=8, n_epochs=5).fit(R).predict()
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, c)


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (
            lambda: MatrixFactorization(n_factors=0),
            ValueError,
            r"`n_factors` must be in",
        ),
        (lambda: MatrixFactorization(lr=0), ValueError, r"`lr` must be in \(0, inf\)"),
        (
            lambda: MatrixFactorization(reg=-1),
            ValueError,
            r"`reg` must be in \[0, inf\)",
        ),
        (
            lambda: MatrixFactorization(n_epochs=1.5),
            TypeError,
            r"`n_epochs` must be an",
        ),
        (lambda: MatrixFactorization(seed="x").fit(TOY), TypeError, r"`seed` must be"),
        (
            lambda: MatrixFactorization().fit(np.full((2, 2), np.nan)),
            ValueError,
            r"`ratings` must contain at least one observed",
        ),
        (
            lambda: MatrixFactorization().fit([1, 2, 3]),
            ValueError,
            r"`ratings` must be a 2-D array",
        ),
        (
            lambda: MatrixFactorization().fit([[1, np.inf]]),
            ValueError,
            r"`ratings` must not contain infinity",
        ),
        (lambda: MatrixFactorization().predict(), RuntimeError, r"call `fit` before"),
        (
            lambda: low_rank_approximation(TOY, 6),
            ValueError,
            r"`k` must be in \[1, 5\]",
        ),
    ],
)
def test_matrix_factorization_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


# --- projection, 2-D convolution by im2col, alternating least squares -------------

def test_projection_of_a_vector_worked_example():
    P = projection_matrix([3.0, 1.0])
    assert np.allclose(P, np.outer([3, 1], [3, 1]) / 10)
    assert np.allclose(P @ [1, 2], 0.5 * np.array([3, 1]))


@given(
    arrays(float, (5, 2), elements=st.integers(-1000, 1000).map(lambda i: i / 100)),
    vectors(5),
)
def test_projection_is_symmetric_idempotent_and_orthogonal(Y, x):
    assume(np.linalg.cond(Y) < 1e6)  # dependent columns: see test_projection_errors
    P = projection_matrix(Y)
    assert np.allclose(P, P.T)
    assert np.allclose(P @ P, P, atol=1e-9)
    # the residual is orthogonal to every column: the normal equations
    assert np.allclose(Y.T @ (x - P @ x), 0, atol=1e-7 * (1 + np.abs(Y).max() ** 2))
    assert np.isclose(np.trace(P), 2)


def test_projection_matches_least_squares():
    rng = np.random.default_rng(1)
    Y, x = rng.normal(size=(6, 3)), rng.normal(size=6)
    coef, *_ = np.linalg.lstsq(Y, x, rcond=None)
    assert np.allclose(projection_matrix(Y) @ x, Y @ coef)


@pytest.mark.parametrize(
    ("arg", "match"),
    [
        ([0.0, 0.0], "linearly independent"),
        ([[1.0, 2.0], [2.0, 4.0]], "linearly independent"),
        (np.ones((2, 3)), "at most as many columns"),
        (np.ones((2, 2, 2)), "1-D or 2-D"),
        ([1.0, np.nan], "NaN"),
    ],
)
def test_projection_errors(arg, match):
    with pytest.raises(ValueError, match=match):
        projection_matrix(arg)


@pytest.mark.parametrize(
    ("n", "k", "s", "p", "expected"),
    [(5, 3, 1, 0, 3), (5, 3, 1, 1, 5), (5, 3, 2, 1, 3), (7, 3, 2, 0, 3),
     (6, 3, 2, 0, 2), (224, 7, 2, 3, 112), (1, 1, 1, 0, 1)],
)
def test_conv_output_size(n, k, s, p, expected):
    assert conv_output_size(n, k, s, p) == expected


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: conv_output_size(3, 4), ValueError, "kernel_size"),
        (lambda: conv_output_size(3, 1, stride=0), ValueError, "stride"),
        (lambda: conv_output_size(3, 1, padding=-1), ValueError, "padding"),
        (lambda: conv_output_size(3.5, 1), TypeError, "`n`"),
        (lambda: im2col2d(np.ones(4), (2, 2)), ValueError, "`x` must be an image"),
        (lambda: im2col2d(np.ones((3, 3)), 2), TypeError, "kernel_size"),
        (lambda: im2col2d(np.ones((3, 3)), (4, 1)), ValueError, "kernel_size"),
        (lambda: cross_correlate2d(np.ones((2, 3, 3)), np.ones((1, 1, 2, 2))),
         ValueError, "input channel"),
        (lambda: cross_correlate2d(np.ones((3, 3)), np.ones(2)),
         ValueError, "`kernel`"),
        (lambda: convolve2d([[1.0, np.inf]], [[1.0]]), ValueError, "infinity"),
    ],
)
def test_conv2d_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


def test_im2col2d_rows_are_patches():
    x = np.arange(2 * 4 * 5, dtype=float).reshape(2, 4, 5)
    cols = im2col2d(x, (2, 3), stride=2, padding=1)
    xp = np.pad(x, ((0, 0), (1, 1), (1, 1)))
    h_out, w_out = conv_output_size(4, 2, 2, 1), conv_output_size(5, 3, 2, 1)
    assert cols.shape == (h_out * w_out, 2 * 2 * 3)
    for i in range(h_out):
        for j in range(w_out):
            patch = xp[:, 2 * i:2 * i + 2, 2 * j:2 * j + 3]
            assert np.array_equal(cols[i * w_out + j], patch.ravel())


@settings(deadline=None, max_examples=40)
@given(
    st.integers(1, 3), st.integers(1, 3), st.integers(3, 8), st.integers(3, 8),
    st.integers(1, 3), st.integers(1, 3), st.integers(1, 3), st.integers(0, 2),
    st.integers(0, 2**32 - 1),
)
def test_conv2d_matches_scipy(c_in, c_out, H, W, kh, kw, stride, padding, seed):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(c_in, H, W))
    k = rng.normal(size=(c_out, c_in, kh, kw))
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    for ours, theirs in ((cross_correlate2d, signal.correlate2d),
                         (convolve2d, signal.convolve2d)):
        ref = np.stack([
            sum(theirs(xp[c], k[o, c], mode="valid") for c in range(c_in))
            [::stride, ::stride]
            for o in range(c_out)
        ])
        y = ours(x, k, stride=stride, padding=padding)
        assert y.shape == (c_out, conv_output_size(H, kh, stride, padding),
                           conv_output_size(W, kw, stride, padding))
        assert np.allclose(y, ref, atol=1e-12)


def test_conv2d_single_channel_is_2d_and_does_not_mutate():
    rng = np.random.default_rng(3)
    x, k = rng.normal(size=(5, 6)), rng.normal(size=(3, 2))
    x0, k0 = x.copy(), k.copy()
    assert np.allclose(cross_correlate2d(x, k), signal.correlate2d(x, k, "valid"))
    assert np.allclose(convolve2d(x, k), signal.convolve2d(x, k, "valid"))
    assert np.array_equal(x, x0) and np.array_equal(k, k0)


def test_conv2d_reduces_to_1d_on_a_row():
    x, k = np.array([[1.0, 2, 3, 4, 5]]), np.array([[1.0, 0, -1]])
    assert np.array_equal(convolve2d(x, k)[0], convolve1d(x[0], k[0]))
    assert np.array_equal(cross_correlate2d(x, k)[0], cross_correlate1d(x[0], k[0]))


def test_als_update_solves_ridge_per_row():
    rng = np.random.default_rng(4)
    R = rng.normal(size=(6, 5))
    R[rng.random(R.shape) < 0.4] = np.nan
    R[2] = np.nan                                  # a row with no rating
    Q = rng.normal(size=(5, 2))
    P = als_update(R, Q, reg=0.3)
    assert np.array_equal(P[2], np.zeros(2))
    for u in range(6):
        seen = ~np.isnan(R[u])
        if not seen.any():
            continue
        # ridge regression as an augmented least-squares problem
        A = np.vstack([Q[seen], np.sqrt(0.3) * np.eye(2)])
        b = np.concatenate([R[u, seen], np.zeros(2)])
        assert np.allclose(P[u], np.linalg.lstsq(A, b, rcond=None)[0])


def test_als_never_increases_the_objective():
    rng = np.random.default_rng(5)
    R = rng.normal(size=(8, 7)) + 3
    R[rng.random(R.shape) < 0.5] = np.nan
    seen, reg = ~np.isnan(R), 0.1
    P, Q = rng.normal(size=(8, 2)), rng.normal(size=(7, 2))

    def objective():
        err = np.where(seen, R - P @ Q.T, 0.0)
        return (err**2).sum() + reg * ((P**2).sum() + (Q**2).sum())

    values = [objective()]
    for _ in range(10):
        P = als_update(R, Q, reg)
        values.append(objective())
        Q = als_update(R.T, P, reg)
        values.append(objective())
    assert all(b <= a + 1e-9 for a, b in zip(values, values[1:], strict=False))


@pytest.mark.parametrize(
    ("call", "exc", "match"),
    [
        (lambda: als_update(np.ones((2, 3)), np.ones((2, 1)), 1.0),
         ValueError, "`fixed`"),
        (lambda: als_update(np.ones((2, 3)), np.ones((3, 1)), 0.0),
         ValueError, "`reg`"),
        (lambda: als_update(np.ones(3), np.ones((3, 1)), 1.0),
         ValueError, "`ratings`"),
    ],
)
def test_als_update_errors(call, exc, match):
    with pytest.raises(exc, match=match):
        call()


@pytest.mark.parametrize("scale", [1e-200, 1e-300, 1e170, 1e200])
def test_projection_is_scale_invariant_far_from_one(scale):
    # the span of a column does not depend on its length; tiny or huge columns once
    # underflowed/overflowed in the rank check and were rejected as "zero"
    y = np.array([2.0, 1.0])
    assert np.allclose(projection_matrix(scale * y), np.outer(y, y) / 5)
    Y = np.array([[scale, 0.0], [0.0, 1.0]])        # columns of very different sizes
    assert np.allclose(projection_matrix(Y), np.eye(2))
