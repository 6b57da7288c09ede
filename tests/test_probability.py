"""Chapter 4: unit, error, property and cross-check tests for mlmath.probability."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.stats as stats
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.integrate import quad
from scipy.spatial.distance import squareform
from sklearn.datasets import load_digits
from sklearn.manifold import TSNE, trustworthiness
from sklearn.manifold._t_sne import _joint_probabilities, _kl_divergence

from mlmath import (
    calibrate_perplexity,
    cross_entropy,
    entropy,
    gaussian_kl,
    joint_probabilities,
    kl_divergence,
    reparameterize,
    squared_distances,
    tsne,
    tsne_gradient,
)
from mlmath.probability import _descend

P, Q, R = [0.25, 0.75], [0.5, 0.5], [0.1, 0.9]


def prob_vectors(k: int):
    """Probability vectors of length k (some entries may be exactly zero)."""
    weights = arrays(float, k, elements=st.floats(0, 10)).filter(
        lambda w: w.sum() > 0.1
    )
    return weights.map(lambda w: w / w.sum())


def positive_prob_vectors(k: int):
    weights = arrays(float, k, elements=st.floats(0.01, 10))
    return weights.map(lambda w: w / w.sum())


# --- entropy, cross-entropy, KL -------------------------------------------------------


def test_worked_example_bits_and_nats():
    assert round(entropy(P), 4) == 0.8113
    assert round(entropy(P, base=np.e), 4) == 0.5623
    assert entropy(Q) == 1.0
    assert round(entropy(R), 4) == 0.4690
    assert round(kl_divergence(P, Q), 4) == 0.1887
    assert round(kl_divergence(P, Q, base=np.e), 4) == 0.1308
    # the notebook's "0.562 bits" is the nats value; 0.0589 is no base of this KL
    assert round(entropy(P, base=np.e), 3) == 0.562 != round(entropy(P), 3)
    for base in (2, np.e, 10):
        assert round(kl_divergence(P, Q, base=base), 4) != 0.0589
    assert isinstance(entropy(P), float) and isinstance(kl_divergence(P, Q), float)


def test_kl_is_asymmetric():
    assert kl_divergence(P, Q) != pytest.approx(kl_divergence(Q, P), abs=1e-3)
    assert kl_divergence(Q, P) == pytest.approx(0.5 * np.log2(0.5 / 0.25 * 0.5 / 0.75))


def test_kl_infinite_when_q_rules_out_an_event_of_p():
    assert kl_divergence([0.5, 0.5], [1.0, 0.0]) == np.inf
    assert cross_entropy([0.5, 0.5], [1.0, 0.0]) == np.inf
    # the other way round is finite: p = 0 terms contribute nothing
    assert kl_divergence([1.0, 0.0], [0.5, 0.5]) == pytest.approx(1.0)
    assert stats.entropy([0.5, 0.5], [1.0, 0.0]) == np.inf


def test_entropy_extremes_and_base_change():
    assert entropy([1.0, 0.0, 0.0]) == 0.0
    assert entropy(np.full(8, 1 / 8)) == pytest.approx(3.0)
    assert entropy(P, base=10) == pytest.approx(entropy(P) * np.log10(2))


@settings(max_examples=50, deadline=None)
@given(prob_vectors(5), positive_prob_vectors(5))
def test_matches_scipy_and_cross_entropy_identity(p, q):
    assert entropy(p) == pytest.approx(stats.entropy(p, base=2), abs=1e-12)
    assert kl_divergence(p, q, base=np.e) == pytest.approx(
        stats.entropy(p, q), abs=1e-12
    )
    assert cross_entropy(p, q) == pytest.approx(entropy(p) + kl_divergence(p, q))


@settings(max_examples=50, deadline=None)
@given(prob_vectors(6))
def test_entropy_between_zero_and_log_n(p):
    h = entropy(p, base=np.e)
    assert -1e-12 <= h <= np.log(6) + 1e-12


@settings(max_examples=50, deadline=None)
@given(positive_prob_vectors(4), positive_prob_vectors(4))
def test_kl_nonnegative_and_zero_iff_equal(p, q):
    d = kl_divergence(p, q)
    assert d >= -1e-12
    assert kl_divergence(p, p) == pytest.approx(0.0, abs=1e-12)
    if np.abs(p - q).max() > 1e-3:
        assert d > 0


@pytest.mark.parametrize("func", [entropy, lambda p: kl_divergence(p, Q)])
def test_bad_probability_vectors_are_refused(func):
    with pytest.raises(ValueError, match="`p` must have non-negative entries"):
        func([-0.5, 1.5])
    with pytest.raises(ValueError, match="`p` must sum to 1"):
        func([0.3, 0.3])
    with pytest.raises(ValueError, match="`p` must be a 1-D array"):
        func([[0.5, 0.5]])
    with pytest.raises(ValueError, match="`p` must not contain NaN"):
        func([np.nan, 1.0])


@pytest.mark.parametrize("func", [kl_divergence, cross_entropy])
def test_pair_errors(func):
    with pytest.raises(ValueError, match="`p` and `q` must have the same shape"):
        func([0.5, 0.5], [0.2, 0.3, 0.5])
    with pytest.raises(ValueError, match="`q` must sum to 1"):
        func(P, [0.5, 0.6])
    with pytest.raises(
        ValueError, match="`base` must be a positive number other than 1"
    ):
        func(P, Q, base=1)


def test_base_errors():
    with pytest.raises(ValueError, match=r"`base` must be in \(0"):
        entropy(P, base=0)
    with pytest.raises(ValueError, match=r"`base` must be in \(0"):
        entropy(P, base=-2)
    with pytest.raises(TypeError, match="`base` must be a real number"):
        entropy(P, base="2")


# --- VAE: Gaussian KL and reparameterisation ----------------------------------------


def test_gaussian_kl_worked_examples():
    assert round(gaussian_kl(0.5, np.log(0.64)), 4) == 0.1681
    mu, sigma = np.array([0.5, -0.3, 0.8]), np.array([0.8, 0.5, 1.2])
    parts = [gaussian_kl(m, np.log(s**2)) for m, s in zip(mu, sigma, strict=True)]
    assert np.round(parts, 4).tolist() == [0.1681, 0.3631, 0.3577]
    assert round(gaussian_kl(mu, np.log(sigma**2)), 4) == 0.8890
    assert gaussian_kl(np.zeros(3), np.zeros(3)) == 0.0


def test_gaussian_kl_matches_numerical_integration():
    mu, sigma = 0.5, 0.8
    q, p = stats.norm(mu, sigma), stats.norm(0, 1)
    value, _ = quad(lambda z: q.pdf(z) * (q.logpdf(z) - p.logpdf(z)), -12, 12)
    assert gaussian_kl(mu, np.log(sigma**2)) == pytest.approx(value, rel=1e-8)


@settings(max_examples=50, deadline=None)
@given(
    arrays(float, 3, elements=st.floats(-3, 3)),
    arrays(float, 3, elements=st.floats(-3, 3)),
)
def test_gaussian_kl_nonnegative_and_sums_over_dimensions(mu, log_var):
    total = gaussian_kl(mu, log_var)
    parts = sum(gaussian_kl(m, v) for m, v in zip(mu, log_var, strict=True))
    assert total >= 0 and total == pytest.approx(parts)


def test_monte_carlo_kl_from_reparameterised_samples_agrees():
    mu, sigma = np.array([0.5, -0.3, 0.8]), np.array([0.8, 0.5, 1.2])
    z = reparameterize(mu, np.log(sigma**2), n_samples=50_000, rng=1)
    terms = (stats.norm(mu, sigma).logpdf(z) - stats.norm.logpdf(z)).sum(axis=1)
    se = terms.std(ddof=1) / np.sqrt(len(terms))
    assert abs(terms.mean() - gaussian_kl(mu, np.log(sigma**2))) < 3 * se


def test_reparameterize_shapes_moments_and_seed():
    z1 = reparameterize(0.5, np.log(0.64), rng=3)
    assert z1.shape == (1,)
    Z = reparameterize([0.5, -0.3], np.log([0.64, 0.25]), n_samples=200_000, rng=3)
    assert Z.shape == (200_000, 2)
    np.testing.assert_allclose(Z.mean(axis=0), [0.5, -0.3], atol=0.01)
    np.testing.assert_allclose(Z.std(axis=0), [0.8, 0.5], atol=0.01)
    again = reparameterize([0.5, -0.3], np.log([0.64, 0.25]), n_samples=200_000, rng=3)
    np.testing.assert_array_equal(Z, again)


def test_gaussian_errors():
    with pytest.raises(ValueError, match="`mu` and `log_var` must have the same shape"):
        gaussian_kl([0.0, 1.0], [0.0])
    with pytest.raises(ValueError, match="`log_var` must not contain NaN"):
        gaussian_kl([0.0], [np.nan])
    with pytest.raises(ValueError, match="`mu` must be a 1-D array"):
        gaussian_kl([[0.0]], [0.0])
    with pytest.raises(ValueError, match=r"`n_samples` must be in \[1"):
        reparameterize(0.0, 0.0, n_samples=0)
    with pytest.raises(TypeError, match="`rng` must be a numpy.random.Generator"):
        reparameterize(0.0, 0.0, rng="seed")


# --- t-SNE ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:300], y[:300]


def test_squared_distances_gram_trick():
    X = np.random.default_rng(0).normal(size=(30, 4))
    D = ((X[:, None] - X[None]) ** 2).sum(-1)
    np.testing.assert_allclose(squared_distances(X), D, atol=1e-12)


@settings(max_examples=20, deadline=None)
@given(st.integers(0, 10_000), st.floats(2.0, 20.0))
def test_perplexity_is_calibrated_for_every_point(seed, perplexity):
    X = np.random.default_rng(seed).normal(size=(40, 3))
    P_cond, beta = calibrate_perplexity(squared_distances(X), perplexity)
    assert np.all(np.diag(P_cond) == 0) and np.all(beta > 0)
    np.testing.assert_allclose(P_cond.sum(axis=1), 1.0)
    H = -np.sum(
        np.where(P_cond > 0, P_cond * np.log(np.where(P_cond > 0, P_cond, 1)), 0), 1
    )
    np.testing.assert_allclose(np.exp(H), perplexity, rtol=1e-4)


def test_joint_probabilities_match_scikit_learn(digits):
    X, _ = digits
    D = squared_distances(X)
    reference = squareform(_joint_probabilities(D, 30.0, 0))
    np.testing.assert_allclose(joint_probabilities(X, 30.0), reference, atol=1e-9)


def test_joint_probabilities_symmetric_and_every_point_has_mass():
    X = np.random.default_rng(1).normal(size=(50, 3))
    X[0] += 100.0  # an outlier still gets at least 1/(2n)
    Pj = joint_probabilities(X, perplexity=10)
    assert np.allclose(Pj, Pj.T) and Pj.sum() == pytest.approx(1.0)
    assert Pj.sum(axis=1).min() >= 1 / (2 * 50) - 1e-12


def test_tsne_gradient_matches_finite_differences_and_scikit_learn():
    rng = np.random.default_rng(0)
    Pj = joint_probabilities(rng.normal(size=(25, 4)), perplexity=5)
    Y = rng.normal(size=(25, 2))
    kl, grad = tsne_gradient(Y, Pj)
    eps = 1e-6
    numeric = np.zeros_like(Y)
    for idx in np.ndindex(Y.shape):
        E = np.zeros_like(Y)
        E[idx] = eps
        numeric[idx] = (tsne_gradient(Y + E, Pj)[0] - tsne_gradient(Y - E, Pj)[0]) / (
            2 * eps
        )
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-10)
    kl_ref, grad_ref = _kl_divergence(Y.ravel(), squareform(Pj, checks=False), 1, 25, 2)
    assert kl == pytest.approx(kl_ref) and kl > 0
    np.testing.assert_allclose(grad.ravel(), grad_ref, atol=1e-12)
    # early exaggeration scales P
    _, g12 = tsne_gradient(Y, Pj, exaggeration=12.0)
    W = 1 / (1 + squared_distances(Y))
    np.fill_diagonal(W, 0)
    M = 11 * Pj * W
    np.testing.assert_allclose(
        g12 - grad, 4 * (M.sum(1)[:, None] * Y - M @ Y), atol=1e-12
    )


@pytest.mark.parametrize(("alpha", "n_exag"), [(1.0, 0), (12.0, 1)])
def test_fast_descent_step_uses_the_exact_gradient(alpha, n_exag):
    # the single-precision, BLAS-free loop of tsne against tsne_gradient
    rng = np.random.default_rng(3)
    Pj = joint_probabilities(rng.normal(size=(60, 5)), perplexity=10)
    Y0 = rng.normal(size=(60, 2))
    _, grad = tsne_gradient(Y0, Pj, exaggeration=alpha)
    Y1 = _descend(Y0, Pj, eta=1.0, alpha=alpha, n_exag=n_exag, n_iter=1)
    # first step: no momentum yet, every gain drops from 1 to 0.8
    np.testing.assert_allclose(
        Y1, Y0 - 0.8 * grad, rtol=0, atol=1e-6 * np.abs(grad).max()
    )


def test_tsne_on_digits_is_as_trustworthy_as_scikit_learn(digits):
    X = digits[0][:200]
    ours = trustworthiness(X, tsne(X, n_iter=500), n_neighbors=5)
    ref = TSNE(method="exact", random_state=0, init="pca", max_iter=500).fit_transform(
        X
    )
    assert ours > 0.98
    assert ours >= trustworthiness(X, ref, n_neighbors=5) - 0.02


def test_tsne_deterministic_shapes_and_seeds(digits):
    X = digits[0][:80]
    np.testing.assert_array_equal(tsne(X, n_iter=50), tsne(X, n_iter=50))
    assert tsne(X, n_components=3, n_iter=20).shape == (80, 3)
    a = tsne(X, init="random", seed=4, n_iter=30)
    np.testing.assert_array_equal(a, tsne(X, init="random", seed=4, n_iter=30))
    assert not np.array_equal(a, tsne(X, init="random", seed=5, n_iter=30))
    assert np.all(np.isfinite(tsne(X, learning_rate=200.0, n_iter=30)))


def test_tsne_errors():
    X = np.random.default_rng(0).normal(size=(20, 3))
    with pytest.raises(ValueError, match=r"`perplexity` must be in \(1"):
        tsne(X, perplexity=30)
    with pytest.raises(
        ValueError, match="`learning_rate` must be a positive number or"
    ):
        tsne(X, perplexity=5, learning_rate="fast")
    with pytest.raises(ValueError, match=r"`learning_rate` must be in \(0"):
        tsne(X, perplexity=5, learning_rate=-1.0)
    with pytest.raises(ValueError, match='`init` must be "pca" or "random"'):
        tsne(X, perplexity=5, init="spectral")
    with pytest.raises(ValueError, match="`n_components` must be at most"):
        tsne(X, perplexity=5, n_components=4)
    with pytest.raises(ValueError, match=r"`n_iter` must be in \[1"):
        tsne(X, perplexity=5, n_iter=0)
    with pytest.raises(ValueError, match=r"`early_exaggeration` must be in \[1"):
        tsne(X, perplexity=5, early_exaggeration=0.5)
    with pytest.raises(ValueError, match=r"`exaggeration_iter` must be in \[0"):
        tsne(X, perplexity=5, exaggeration_iter=-1)
    with pytest.raises(ValueError, match=r"`n_components` must be in \[1"):
        tsne(X, perplexity=5, n_components=0)
    with pytest.raises(ValueError, match="`X` must be a 2-D array"):
        tsne(X[0], perplexity=5)
    with pytest.raises(TypeError, match="`seed` must be a numpy.random.Generator"):
        tsne(X, perplexity=5, seed=1.5)


def test_calibration_and_gradient_errors():
    with pytest.raises(ValueError, match="`X` must be a 2-D array"):
        squared_distances([1.0, 2.0])
    with pytest.raises(ValueError, match="`sq_dists` must be a square matrix"):
        calibrate_perplexity(np.ones((3, 4)))
    with pytest.raises(ValueError, match="`sq_dists` must have non-negative entries"):
        calibrate_perplexity(-np.ones((5, 5)), perplexity=2)
    with pytest.raises(ValueError, match="`P` must have shape"):
        tsne_gradient(np.zeros((4, 2)), np.zeros((3, 3)))


# --- linear_gaussian_elbo ---


def linear_gaussian_problem(seed=4, d=5, k=2, s2=0.5):
    rng = np.random.default_rng(seed)
    W, bias = rng.standard_normal((d, k)), rng.standard_normal(d)
    x = bias + W @ rng.standard_normal(k) + np.sqrt(s2) * rng.standard_normal(d)
    return x, W, bias, s2


def test_linear_gaussian_elbo_identity_and_reference():
    from mlmath import linear_gaussian_elbo

    x, W, bias, s2 = linear_gaussian_problem()
    k = W.shape[1]
    ref_log_px = stats.multivariate_normal(bias, W @ W.T + s2 * np.eye(len(x))).logpdf(
        x
    )
    S_post = np.linalg.inv(np.eye(k) + W.T @ W / s2)
    m_post = S_post @ W.T @ (x - bias) / s2
    rng = np.random.default_rng(0)
    for _ in range(5):
        B = rng.standard_normal((k, k))
        m_q, S_q = rng.standard_normal(k), B @ B.T + 0.1 * np.eye(k)
        elbo, log_px, kl = linear_gaussian_elbo(x, W, bias, s2, m_q, S_q)
        assert log_px == pytest.approx(ref_log_px, abs=1e-10)
        assert elbo <= log_px and kl >= 0
        assert log_px - elbo == pytest.approx(kl, abs=1e-10)
        # KL(q || posterior) by SciPy's entropy of Gaussians and a cross term
        Si = np.linalg.inv(S_post)
        ref_kl = 0.5 * (
            np.trace(Si @ S_q)
            + (m_post - m_q) @ Si @ (m_post - m_q)
            - k
            + np.log(np.linalg.det(S_post) / np.linalg.det(S_q))
        )
        assert kl == pytest.approx(ref_kl, rel=1e-9)
    elbo, log_px, kl = linear_gaussian_elbo(x, W, bias, s2, m_post, S_post)
    assert kl == pytest.approx(0.0, abs=1e-12) and elbo == pytest.approx(log_px)


def test_linear_gaussian_elbo_matches_monte_carlo():
    from mlmath import linear_gaussian_elbo

    x, W, bias, s2 = linear_gaussian_problem()
    m_q, S_q = np.array([0.3, -0.2]), np.diag([0.4, 0.9])
    elbo = linear_gaussian_elbo(x, W, bias, s2, m_q, S_q)[0]
    rng = np.random.default_rng(1)
    z = rng.multivariate_normal(m_q, S_q, size=200_000)
    terms = (
        stats.multivariate_normal(np.zeros(len(x)), s2 * np.eye(len(x))).logpdf(
            x - bias - z @ W.T
        )
        + stats.multivariate_normal(np.zeros(2), np.eye(2)).logpdf(z)
        - stats.multivariate_normal(m_q, S_q).logpdf(z)
    )
    assert abs(terms.mean() - elbo) < 4 * terms.std() / np.sqrt(z.shape[0])


def test_linear_gaussian_elbo_validates_and_does_not_mutate():
    from mlmath import linear_gaussian_elbo

    x, W, bias, s2 = linear_gaussian_problem()
    good = dict(x=x, W=W, bias=bias, noise_var=s2, q_mean=np.zeros(2), q_cov=np.eye(2))
    bad = [
        ("x", x[:-1]),
        ("bias", bias[:-1]),
        ("noise_var", 0.0),
        ("q_mean", np.zeros(3)),
        ("q_cov", np.eye(3)),
        ("q_cov", np.array([[1.0, 0.5], [0.0, 1.0]])),
        ("q_cov", np.array([[1.0, 2.0], [2.0, 1.0]])),
        ("W", np.full((5, 2), np.nan)),
    ]
    for name, value in bad:
        with pytest.raises(ValueError, match=f"`{name}`"):
            linear_gaussian_elbo(**{**good, name: value})
    with pytest.raises(TypeError, match="`noise_var`"):
        linear_gaussian_elbo(**{**good, "noise_var": "0.5"})
    copies = {k: np.array(v, copy=True) for k, v in good.items()}
    linear_gaussian_elbo(**good)
    for k, v in good.items():
        assert np.array_equal(np.asarray(v), copies[k])


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), angle=st.floats(0.0, 2 * np.pi))
def test_linear_gaussian_elbo_is_invariant_under_latent_rotation(seed, angle):
    """The prior N(0, I) is rotation invariant, so rotating the latent space (W -> WR,
    q -> N(R'm, R'SR)) changes neither the evidence, nor the ELBO, nor the gap; and the
    gap is never negative (Gibbs)."""
    from mlmath import linear_gaussian_elbo

    x, W, bias, s2 = linear_gaussian_problem()
    rng = np.random.default_rng(seed)
    B = rng.standard_normal((2, 2))
    m_q, S_q = rng.standard_normal(2), B @ B.T + 0.05 * np.eye(2)
    R = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    before = linear_gaussian_elbo(x, W, bias, s2, m_q, S_q)
    S_rot = R.T @ S_q @ R
    after = linear_gaussian_elbo(x, W @ R, bias, s2, R.T @ m_q, 0.5 * (S_rot + S_rot.T))
    assert after == pytest.approx(before, rel=1e-9, abs=1e-9)
    elbo, log_px, kl = before
    assert kl >= 0 and elbo <= log_px
