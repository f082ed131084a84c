"""The sympy-free primality test agrees with sympy exactly where it is used, pseudoprimes included."""

from __future__ import annotations

import random

import pytest
import sympy

from tools import prime_small
from tools.primes import PrimeInput, check_prime

# Strong pseudoprimes to the first k prime bases (OEIS A014233), Carmichael numbers, and primes around them.
HARD = [
    2047,
    1373653,
    25326001,
    3215031751,
    2152302898747,
    3474749660383,
    341550071728321,
    3825123056546413051,
    561,
    1105,
    1729,
    2465,
    2821,
    6601,
    8911,
    41041,
    62745,
    63973,
    75361,
    9746347772161,
    2**61 - 1,
    2**64 - 59,
    2**64 + 13,
    2**31 - 1,
    4294967291,
    4294967297,
    18446744073709551557,
]


def test_it_agrees_with_sympy_on_hard_cases_and_random_numbers():
    rng = random.Random(11)
    numbers = HARD + list(range(0, 5000)) + [rng.randrange(2, prime_small.EXACT_BELOW) for _ in range(3000)]
    numbers += [rng.randrange(2, 2**64) | 1 for _ in range(3000)]
    for n in numbers:
        assert prime_small.is_prime(n) == sympy.isprime(n), n


def test_the_first_pseudoprime_to_every_base_is_left_to_sympy():
    psi12 = prime_small.EXACT_BELOW  # composite, yet a strong probable prime to all twelve bases
    assert not sympy.isprime(psi12)
    with pytest.raises(ValueError):
        prime_small.is_prime(psi12)
    assert check_prime(PrimeInput(n=psi12, factorize=False)).is_prime is False  # sympy answers it


def test_neighbours_agree_with_sympy():
    rng = random.Random(5)
    edges = [0, 1, 2, 3, 4, 5, 96, 97, 98, 2**32, 2**64 - 59, 2**64 - 1]
    for n in edges + [rng.randrange(3, 2**64) for _ in range(300)]:
        assert prime_small.next_prime(n) == sympy.nextprime(n), n
        if n >= 3:
            assert prime_small.prev_prime(n) == sympy.prevprime(n), n


def test_an_offline_size_question_never_imports_sympy():
    import subprocess
    import sys

    code = (
        "import sys; from tools.primes import PrimeInput, check_prime; "
        "r = check_prime(PrimeInput(n=97, next_prime=True, previous_prime=True)); "
        "assert r.is_prime and r.next_prime == '101' and r.previous_prime == '89'; "
        "r = check_prime(PrimeInput(n=91)); assert not r.is_prime and [f.prime for f in r.factors] == ['7', '13']; "
        "print('sympy' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
