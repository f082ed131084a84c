"""Exact primality below 3.2 * 10**23 without sympy: a deterministic Miller-Rabin test.

Importing sympy costs a quarter of a second, far more than the tests a chat asks
for ("is 97 prime?").  Below :data:`EXACT_BELOW` the strong test to the first
twelve prime bases is a proof: the smallest composite passing all of them is
318665857834031151167461 (Sorenson and Webster 2015; OEIS A014233), so no
Carmichael number or strong pseudoprime gets through.  Above it the caller uses
``sympy.isprime`` (Baillie-PSW).
"""

from __future__ import annotations

BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37)
EXACT_BELOW = 318_665_857_834_031_151_167_461  # the first strong pseudoprime to every base above
NEIGHBOURS_BELOW = 2**64  # next/previous prime here: prime gaps are under 1550, the answer stays exact


def is_prime(n: int) -> bool:
    """Whether ``n`` is prime; exact for ``n < EXACT_BELOW`` (a ValueError above)."""
    if n >= EXACT_BELOW:
        raise ValueError("is_prime is exact only below EXACT_BELOW; use sympy.isprime")
    if n < 2:
        return False
    for p in BASES:
        if n % p == 0:
            return n == p
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    for a in BASES:
        x = pow(a, d, n)
        if x in (1, n - 1):
            continue
        for _ in range(s - 1):
            x = x * x % n
            if x == n - 1:
                break
        else:
            return False
    return True


def next_prime(n: int) -> int:
    """The smallest prime greater than ``n`` (``n < NEIGHBOURS_BELOW``)."""
    if n >= NEIGHBOURS_BELOW:
        raise ValueError("next_prime is for n below 2**64")
    if n < 2:
        return 2
    candidate = n + 1 if n % 2 == 0 else n + 2
    while not is_prime(candidate):
        candidate += 2
    return candidate


def prev_prime(n: int) -> int:
    """The largest prime smaller than ``n`` (``3 <= n < NEIGHBOURS_BELOW``)."""
    if not 3 <= n < NEIGHBOURS_BELOW:
        raise ValueError("prev_prime is for 3 <= n < 2**64")
    if n == 3:
        return 2
    candidate = n - 1 if n % 2 == 0 else n - 2
    while not is_prime(candidate):
        candidate -= 2
    return candidate


__all__ = ["BASES", "EXACT_BELOW", "NEIGHBOURS_BELOW", "is_prime", "next_prime", "prev_prime"]
