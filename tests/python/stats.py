"""Two-sample tests for comparing mixcut's draws with another library's:
a chi-square test on counts of discrete values and Kolmogorov-Smirnov on
continuous values, each returning a p-value (no scipy needed)."""

import math

import numpy as np


def _upper_gamma_q(a, x):
    """Regularised upper incomplete gamma Q(a, x) (series / continued fraction)."""
    if x <= 0:
        return 1.0
    log_front = a * math.log(x) - x - math.lgamma(a)
    if x < a + 1:  # P(a, x) by its series, Q = 1 - P
        term = total = 1.0 / a
        k = a
        while abs(term) > abs(total) * 1e-15:
            k += 1
            term *= x / k
            total += term
        return max(0.0, 1.0 - total * math.exp(log_front))
    # Lentz's continued fraction for Q.
    tiny = 1e-300
    b = x + 1 - a
    c = 1 / tiny
    d = 1 / b
    h = d
    for i in range(1, 10000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = 1 / d
        step = d * c
        h *= step
        if abs(step - 1) < 1e-15:
            break
    return math.exp(log_front) * h


def chi2_two_sample(a, b, min_count=10):
    """p-value that the integer samples a and b come from one distribution.

    Values seen fewer than min_count times in both samples together are
    pooled into one bin, so every bin's expected count is reasonable.
    """
    a, b = np.asarray(a).ravel(), np.asarray(b).ravel()
    values, inverse = np.unique(np.concatenate([a, b]), return_inverse=True)
    ca = np.bincount(inverse[:len(a)], minlength=len(values)).astype(float)
    cb = np.bincount(inverse[len(a):], minlength=len(values)).astype(float)
    small = (ca + cb) < min_count
    if small.any():
        ca = np.append(ca[~small], ca[small].sum())
        cb = np.append(cb[~small], cb[small].sum())
    keep = (ca + cb) > 0
    ca, cb = ca[keep], cb[keep]
    if len(ca) < 2:
        return 1.0
    na, nb = ca.sum(), cb.sum()
    stat = float((((math.sqrt(nb / na) * ca - math.sqrt(na / nb) * cb) ** 2) / (ca + cb)).sum())
    return _upper_gamma_q((len(ca) - 1) / 2, stat / 2)


def ks_two_sample(a, b):
    """p-value of the two-sample Kolmogorov-Smirnov test (asymptotic)."""
    a, b = np.sort(np.asarray(a, float)), np.sort(np.asarray(b, float))
    grid = np.concatenate([a, b])
    d = np.abs(np.searchsorted(a, grid, "right") / len(a) -
               np.searchsorted(b, grid, "right") / len(b)).max()
    en = math.sqrt(len(a) * len(b) / (len(a) + len(b)))
    lam = (en + 0.12 + 0.11 / en) * d
    p = 2 * sum((-1) ** (k - 1) * math.exp(-2 * k * k * lam * lam) for k in range(1, 101))
    return min(1.0, max(0.0, p))


def test_the_tests_themselves():
    """They accept equal laws and reject different ones (fixed seeds)."""
    rng = np.random.default_rng(0)
    assert chi2_two_sample(rng.integers(0, 10, 4000), rng.integers(0, 10, 4000)) > 1e-3
    assert chi2_two_sample(rng.integers(0, 10, 4000), rng.integers(0, 11, 4000)) < 1e-6
    assert ks_two_sample(rng.random(4000), rng.random(4000)) > 1e-3
    assert ks_two_sample(rng.random(4000), rng.random(4000) ** 1.5) < 1e-6
    # Q(k/2, x/2) against known chi-square quantiles: 3.841 (1 df), 18.307 (10 df) at p = 0.05.
    assert abs(_upper_gamma_q(0.5, 3.841 / 2) - 0.05) < 1e-3
    assert abs(_upper_gamma_q(5.0, 18.307 / 2) - 0.05) < 1e-3
