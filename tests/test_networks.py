"""Tests for mlmath.networks: link-prediction heuristics, evaluation, random walks."""

from __future__ import annotations

import itertools

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import roc_auc_score

from mlmath.networks import (
    SupervisedRandomWalk,
    adamic_adar,
    common_neighbors,
    holdout_split,
    jaccard,
    precision_at_k,
    random_walk_with_restart,
    rank_pairs,
    roc_auc,
)

TOY_EDGES = [(0, 1), (0, 2), (1, 2), (1, 3), (2, 3), (2, 4), (3, 4), (3, 5), (4, 5)]


def toy() -> np.ndarray:
    A = np.zeros((6, 6))
    for u, v in TOY_EDGES:
        A[u, v] = A[v, u] = 1
    return A


def karate() -> tuple[nx.Graph, np.ndarray]:
    G = nx.karate_club_graph()
    return G, nx.to_numpy_array(G, nodelist=range(34), weight=None)


@st.composite
def graphs(draw, max_n: int = 9):
    n = draw(st.integers(2, max_n))
    bits = draw(st.lists(st.booleans(), min_size=n * n, max_size=n * n))
    upper = np.triu(np.array(bits, dtype=float).reshape(n, n), k=1)
    return upper + upper.T


# --------------------------------------------------------------- worked example
def test_toy_common_neighbours_tie_three_ways():
    ranked = rank_pairs(common_neighbors(toy()), toy())
    assert ranked.top(1).tolist() == [[0, 3], [1, 4], [2, 5]]
    assert ranked.scores[:3].tolist() == [2, 2, 2]
    assert ranked.ranks.tolist() == [1, 1, 1, 4, 4, 6]
    assert ranked.pairs[3:5].tolist() == [[0, 4], [1, 5]]


def test_toy_adamic_adar_values_and_ties():
    S = adamic_adar(toy())
    top = 1 / np.log(3) + 1 / np.log(4)
    assert S[0, 3] == pytest.approx(top) and S[2, 5] == pytest.approx(top)
    assert S[0, 3] == pytest.approx(1.632, abs=5e-4)
    assert S[1, 4] == pytest.approx(2 / np.log(4))
    assert S[1, 4] == pytest.approx(1.443, abs=5e-4)
    assert S[0, 4] == pytest.approx(1 / np.log(4)) == pytest.approx(0.721, abs=5e-4)
    ranked = rank_pairs(S, toy())
    assert ranked.top(1).tolist() == [[0, 3], [2, 5]]
    assert ranked.ranks.tolist() == [1, 1, 3, 4, 4, 6]


def test_rank_pairs_ties_survive_rounding():
    # same value summed in another order may differ in the last bit
    A = np.zeros((4, 4))
    a, b = 0.1 + 0.2 + 0.3, 0.3 + 0.2 + 0.1
    assert a != b
    S = np.array([[0, 0, a, b], [0, 0, 0.1, 0], [a, 0.1, 0, 0], [b, 0, 0, 0]])
    ranked = rank_pairs(S, A)
    assert ranked.ranks[:2].tolist() == [1, 1]
    assert rank_pairs(S, A, rtol=0).ranks[:2].tolist() == [1, 2]


# ----------------------------------------------------- cross-checks with networkx
@pytest.mark.parametrize("sparse", [False, True])
def test_heuristics_match_networkx_on_karate(sparse):
    G, A = karate()
    M = sp.csr_array(A) if sparse else A
    non_edges = list(nx.non_edges(G))
    u, v = np.array(non_edges).T

    def at(S):
        return np.asarray(S[u, v]).ravel()

    aa = [s for _, _, s in nx.adamic_adar_index(G, non_edges)]
    jc = [s for _, _, s in nx.jaccard_coefficient(G, non_edges)]
    cn = [len(list(nx.common_neighbors(G, a, b))) for a, b in non_edges]
    np.testing.assert_allclose(at(adamic_adar(M)), aa, rtol=1e-12)
    np.testing.assert_allclose(at(jaccard(M)), jc, rtol=1e-12)
    np.testing.assert_array_equal(at(common_neighbors(M)), cn)


def test_sparse_in_sparse_out_and_same_values():
    _, A = karate()
    for f in (common_neighbors, adamic_adar, jaccard):
        S_sparse = f(sp.csr_array(A))
        assert sp.issparse(S_sparse)
        np.testing.assert_allclose(S_sparse.toarray(), f(A), atol=1e-14)


def test_rank_pairs_sparse_matches_dense_on_nonzero_candidates():
    _, A = karate()
    dense = rank_pairs(adamic_adar(A), A)
    sparse = rank_pairs(adamic_adar(sp.csr_array(A)), sp.csr_array(A))
    nz = dense.scores > 0
    np.testing.assert_array_equal(sparse.pairs, dense.pairs[nz])
    np.testing.assert_allclose(sparse.scores, dense.scores[nz])
    np.testing.assert_array_equal(sparse.ranks, dense.ranks[nz])


# -------------------------------------------------------------------- properties
@settings(max_examples=50, deadline=None)
@given(graphs())
def test_heuristic_invariants(A):
    cn, aa, jc = common_neighbors(A), adamic_adar(A), jaccard(A)
    d = A.sum(axis=1)
    for S in (cn, aa, jc):
        np.testing.assert_allclose(S, S.T)
        assert np.all(S >= 0)
    np.testing.assert_array_equal(np.diag(cn), d)
    assert np.all(cn <= np.minimum.outer(d, d))
    off = ~np.eye(len(A), dtype=bool)
    assert np.all(jc[off] <= 1 + 1e-12)
    assert np.all(aa[off] <= cn[off] / np.log(2) + 1e-12)  # every weight <= 1/ln 2


@settings(max_examples=50, deadline=None)
@given(graphs(), st.integers(0, 10))
def test_rank_pairs_is_a_consistent_ranking(A, seed):
    S = np.random.default_rng(seed).integers(0, 3, size=A.shape).astype(float)
    S = S + S.T
    ranked = rank_pairs(S, A)
    assert np.all(np.diff(ranked.scores) <= 0)
    assert np.all(np.diff(ranked.ranks) >= 0)
    for i, score in enumerate(ranked.scores):
        assert ranked.ranks[i] == 1 + np.sum(ranked.scores > score)
    assert all(A[u, v] == 0 and u < v for u, v in ranked.pairs)
    assert len(ranked.pairs) == len(A) * (len(A) - 1) // 2 - A.sum() // 2


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 4)), min_size=2, max_size=30)
)
def test_roc_auc_matches_scikit_learn_with_ties(data):
    y, s = np.array(data).T
    if y.min() == y.max():
        with pytest.raises(ValueError, match="both classes"):
            roc_auc(y, s)
    else:
        assert roc_auc(y, s) == pytest.approx(roc_auc_score(y, s))


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.tuples(st.integers(0, 1), st.integers(0, 2)), min_size=1, max_size=6),
    st.data(),
)
def test_precision_at_k_is_expected_precision_over_tie_breaks(data, draw):
    y, s = (np.array(c) for c in zip(*data, strict=True))
    k = draw.draw(st.integers(1, len(y)))
    # every ordering consistent with the scores, equally likely
    hits = [
        y[list(p)][np.argsort(-s[list(p)], kind="stable")][:k].sum() / k
        for p in itertools.permutations(range(len(y)))
    ]
    assert precision_at_k(y, s, k) == pytest.approx(np.mean(hits))


def test_precision_at_k_without_ties_is_top_k():
    rng = np.random.default_rng(0)
    s, y = rng.random(50), rng.integers(0, 2, 50)
    for k in (1, 5, 50):
        assert precision_at_k(y, s, k) == pytest.approx(y[np.argsort(-s)[:k]].mean())


# ----------------------------------------------------------------- holdout split
def test_holdout_split_hides_edges_and_labels_them():
    _, A = karate()
    A_train, pairs, labels = holdout_split(A, 0.15, rng=3)
    n_edges = int(A.sum() // 2)
    n_hidden = round(0.15 * n_edges)
    assert int(A_train.sum() // 2) == n_edges - n_hidden
    assert labels.sum() == n_hidden
    u, v = pairs.T
    assert np.all(A_train[u, v] == 0) and np.all(u < v)
    np.testing.assert_array_equal(A[u, v], labels)
    assert len(pairs) == 34 * 33 // 2 - (n_edges - n_hidden)
    again = holdout_split(A, 0.15, rng=3)
    np.testing.assert_array_equal(again[1], pairs)


def test_heuristics_beat_random_on_held_out_karate_edges():
    _, A = karate()
    aucs = []
    for seed in range(5):
        A_train, pairs, labels = holdout_split(A, 0.15, rng=seed)
        S = adamic_adar(A_train)
        aucs.append(roc_auc(labels, S[pairs[:, 0], pairs[:, 1]]))
    assert np.mean(aucs) > 0.6


# ------------------------------------------------------------------ random walks
def test_rwr_matches_networkx_personalised_pagerank():
    G, A = karate()
    for s in (0, 16, 33):
        ours = random_walk_with_restart(A, s, restart=0.2, tol=1e-13)
        ref = nx.pagerank(G, alpha=0.8, personalization={s: 1}, tol=1e-14, weight=None)
        np.testing.assert_allclose(ours, [ref[i] for i in range(34)], atol=1e-10)


def test_rwr_dangling_nodes_return_to_source_like_networkx():
    G = nx.DiGraph([(0, 1), (1, 2), (2, 0), (2, 3)])  # 3 has no out-edges
    A = nx.to_numpy_array(G, nodelist=range(4))
    ours = random_walk_with_restart(sp.csr_array(A), 1, restart=0.3, tol=1e-13)
    ref = nx.pagerank(G, alpha=0.7, personalization={1: 1}, tol=1e-14)
    np.testing.assert_allclose(ours, [ref[i] for i in range(4)], atol=1e-10)


def test_rwr_many_sources_equal_linear_solve():
    _, A = karate()
    Q = A / A.sum(axis=1, keepdims=True)
    alpha = 0.15
    exact = alpha * np.linalg.solve(np.eye(34) - (1 - alpha) * Q.T, np.eye(34))
    P = random_walk_with_restart(A, np.arange(34), restart=alpha, tol=1e-13)
    np.testing.assert_allclose(P, exact, atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(graphs(), st.floats(0.05, 1.0))
def test_rwr_is_a_probability_vector(A, restart):
    P = random_walk_with_restart(A, np.arange(len(A)), restart=restart)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-9)


# ------------------------------------------------------- supervised random walks
def random_problem(seed: int, n: int = 14, k: int = 3):
    rng = np.random.default_rng(seed)
    upper = np.triu(rng.random((n, n)) < 0.3, k=1).astype(float)
    A = upper + upper.T
    A[n - 1] = A[:, n - 1] = 0  # an isolated (dangling) node
    psi = rng.standard_normal((n, n, k))
    psi = (psi + psi.transpose(1, 0, 2)) / 2
    non = np.argwhere(np.triu(A == 0, k=1)[: n - 1, : n - 1])
    positives = non[rng.choice(len(non), size=4, replace=False)]
    return A, psi, positives


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_srw_gradient_matches_finite_differences(seed):
    A, psi, positives = random_problem(seed)
    srw = SupervisedRandomWalk(restart=0.25, lam=2.0, b=0.02, tol=1e-14)
    w = np.random.default_rng(seed).normal(size=3)
    _, grad = srw.loss(w, A, psi, positives)
    eps = 1e-6
    numeric = [
        (
            srw.loss(w + eps * e, A, psi, positives)[0]
            - srw.loss(w - eps * e, A, psi, positives)[0]
        )
        / (2 * eps)
        for e in np.eye(3)
    ]
    np.testing.assert_allclose(grad, numeric, rtol=1e-5, atol=1e-8)


@settings(max_examples=50, deadline=None)
@given(st.integers(0, 1000), st.lists(st.floats(-3, 3), min_size=3, max_size=3))
def test_srw_stationary_vector_sums_to_one(seed, w):
    A, psi, _ = random_problem(seed, n=8)
    srw = SupervisedRandomWalk(restart=0.3)
    srw.w_ = np.array(w)
    P = srw.score(A, psi)
    assert np.all(P >= 0)
    np.testing.assert_allclose(P.sum(axis=0), 1.0, atol=1e-9)


def test_srw_with_zero_weights_is_the_unsupervised_walk():
    A, psi, positives = random_problem(0)
    srw = SupervisedRandomWalk(restart=0.2, lam=0.0).fit(A, psi, positives)
    np.testing.assert_array_equal(srw.w_, 0.0)  # only the penalty: w = 0
    P = srw.score(A, psi, [0, 3])
    np.testing.assert_allclose(
        P, random_walk_with_restart(A, [0, 3], restart=0.2), atol=1e-12
    )


def test_srw_fit_lowers_the_loss_and_helps_on_planted_signal():
    # feature 0 marks edges towards the future partner's neighbourhood
    A, psi, positives = random_problem(4, n=20, k=2)
    psi[..., 0] = 0.0
    for s, d in positives:
        for x in np.flatnonzero(A[d]):
            psi[x, d, 0] = psi[s, x, 0] = 1.0
    srw = SupervisedRandomWalk(restart=0.3, lam=5.0)
    loss0, _ = srw.loss(np.zeros(2), A, psi, positives)
    srw.fit(A, psi, positives)
    assert srw.loss_ < loss0
    assert srw.w_[0] > 0.5 > abs(srw.w_[1])
    assert srw.result_.success


# ------------------------------------------------------------------------ errors
@pytest.mark.parametrize("f", [common_neighbors, adamic_adar, jaccard])
def test_heuristics_reject_bad_graphs(f):
    A = toy()
    B = A.copy()
    B[0, 1] = 0
    with pytest.raises(ValueError, match="symmetric"):
        f(B)
    with pytest.raises(ValueError, match="symmetric"):
        f(sp.csr_array(B))
    with pytest.raises(ValueError, match="non-negative"):
        f(-A)
    with pytest.raises(ValueError, match="unweighted"):
        f(2 * A)
    C = A.copy()
    C[0, 0] = 1
    with pytest.raises(ValueError, match="zero diagonal"):
        f(C)
    with pytest.raises(ValueError, match="square"):
        f(np.ones((2, 3)))
    with pytest.raises(TypeError, match="numeric"):
        f([["a", "b"], ["c", "d"]])


def test_rank_pairs_errors():
    A = toy()
    with pytest.raises(ValueError, match="same shape"):
        rank_pairs(np.ones((5, 5)), A)
    with pytest.raises(ValueError, match="same shape"):
        rank_pairs(sp.csr_array(np.ones((5, 5))), A)
    with pytest.raises(ValueError, match="`rtol`"):
        rank_pairs(A, A, rtol=-1.0)


def test_holdout_split_errors():
    with pytest.raises(ValueError, match="`test_fraction`"):
        holdout_split(toy(), 1.0)
    with pytest.raises(ValueError, match="`test_fraction`"):
        holdout_split(toy(), 0.0)
    with pytest.raises(ValueError, match="symmetric"):
        holdout_split(np.triu(toy()))
    with pytest.raises(TypeError, match="`rng`"):
        holdout_split(toy(), 0.2, rng="seed")


def test_evaluation_errors():
    with pytest.raises(ValueError, match="same shape"):
        roc_auc([0, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="binary"):
        roc_auc([0, 2], [0.1, 0.2])
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1, 1], [0.1, 0.2])
    with pytest.raises(ValueError, match="`k`"):
        precision_at_k([0, 1], [0.1, 0.2], k=3)
    with pytest.raises(ValueError, match="`k`"):
        precision_at_k([0, 1], [0.1, 0.2], k=0)
    with pytest.raises(TypeError, match="`k`"):
        precision_at_k([0, 1], [0.1, 0.2], k=1.5)


def test_random_walk_errors():
    A = toy()
    with pytest.raises(ValueError, match="`restart`"):
        random_walk_with_restart(A, 0, restart=0.0)
    with pytest.raises(ValueError, match="`restart`"):
        random_walk_with_restart(A, 0, restart=1.5)
    with pytest.raises(ValueError, match="`source`"):
        random_walk_with_restart(A, 6)
    with pytest.raises(ValueError, match="`source`"):
        random_walk_with_restart(A, [[0, 1]])
    with pytest.raises(TypeError, match="`source`"):
        random_walk_with_restart(A, 1.0)
    with pytest.raises(ValueError, match="non-negative"):
        random_walk_with_restart(-A, 0)
    with pytest.raises(ValueError, match="`tol`"):
        random_walk_with_restart(A, 0, tol=0.0)
    with pytest.raises(ValueError, match="`max_iter`"):
        random_walk_with_restart(A, 0, max_iter=0)


def test_supervised_random_walk_errors():
    A, psi, positives = random_problem(0)
    with pytest.raises(ValueError, match="`restart`"):
        SupervisedRandomWalk(restart=0)
    with pytest.raises(ValueError, match="`lam`"):
        SupervisedRandomWalk(lam=-1)
    with pytest.raises(ValueError, match="`b`"):
        SupervisedRandomWalk(b=0)
    with pytest.raises(ValueError, match="`tol`"):
        SupervisedRandomWalk(tol=-1)
    with pytest.raises(ValueError, match="`max_iter`"):
        SupervisedRandomWalk(max_iter=0)
    srw = SupervisedRandomWalk()
    with pytest.raises(RuntimeError, match="fit"):
        srw.score(A, psi)
    with pytest.raises(ValueError, match="`features`"):
        srw.fit(A, psi[:5], positives)
    with pytest.raises(ValueError, match="`features`"):
        srw.fit(A, psi[..., 0], positives)
    with pytest.raises(ValueError, match="symmetric"):
        srw.fit(np.triu(A), psi, positives)
    edge = np.argwhere(A > 0)[:1]
    with pytest.raises(ValueError, match="not edges"):
        srw.fit(A, psi, edge)
    with pytest.raises(ValueError, match="shape"):
        srw.fit(A, psi, [1, 2])
    with pytest.raises(ValueError, match="node indices"):
        srw.fit(A, psi, [[0, 99]])
    with pytest.raises(ValueError, match="`w`"):
        srw.loss(np.zeros(2), A, psi, positives)
    srw.fit(A, psi, positives)
    with pytest.raises(ValueError, match="`features`"):
        srw.score(A, psi[..., :2])


def test_srw_four_node_example_matches_the_hand_computation():
    """The worked example of Section 6.2: p and dp/dw at w = 0, by hand."""
    import networkx as nx

    from mlmath import SupervisedRandomWalk, random_walk_with_restart

    A = np.zeros((4, 4))
    for u, v in [(0, 1), (1, 2), (1, 3), (2, 3)]:
        A[u, v] = A[v, u] = 1.0
    psi = np.zeros((4, 4, 1))
    psi[1, 2, 0] = psi[2, 1, 0] = 1.0
    p_hand = np.array([16, 9, 2, 2]) / 29
    dp_hand = np.array([-70, 15, 129, -74]) / 4205

    def walk(w):
        return random_walk_with_restart(A * np.exp(w * psi[:, :, 0]), 0, restart=0.5)

    np.testing.assert_allclose(walk(0.0), p_hand, atol=1e-10)
    ref = nx.pagerank(
        nx.from_numpy_array(A), alpha=0.5, personalization={0: 1}, tol=1e-14
    )
    np.testing.assert_allclose([ref[k] for k in range(4)], p_hand, atol=1e-8)
    np.testing.assert_allclose((walk(1e-6) - walk(-1e-6)) / 2e-6, dp_hand, atol=1e-7)
    b = 0.1
    _, grad = SupervisedRandomWalk(restart=0.5, b=b).loss(np.zeros(1), A, psi, [(0, 2)])
    h = 1 / (1 + np.exp(-(p_hand[3] - p_hand[2]) / b))
    assert grad[0] == pytest.approx(
        h * (1 - h) / b * (dp_hand[3] - dp_hand[2]), rel=1e-6
    )
