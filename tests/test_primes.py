"""The prime tool against values checked independently of sympy.

Small numbers are checked with a sieve and trial division written here, larger
ones with a deterministic Miller-Rabin test written here (the first 13 prime
bases decide every n < 3.3 * 10**24); pseudoprimes are shown to fool the weak
tests before the tool is asked about them.
"""

from __future__ import annotations

import json
import math
import sys
import time

import pytest

from tools.base import ToolError
from tools.primes import (
    HARD_MAX_DIGITS,
    PrimeInput,
    check_prime,
    decimal_to_int,
    int_to_decimal,
    prime_spec,
)

MR_BASES = (2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37, 41)
MR_DETERMINISTIC_BELOW = 3_317_044_064_679_887_385_961_981


def sieve(limit: int) -> list[bool]:
    flags = [True] * (limit + 1)
    flags[0] = flags[1] = False
    for i in range(2, math.isqrt(limit) + 1):
        if flags[i]:
            for j in range(i * i, limit + 1, i):
                flags[j] = False
    return flags


def trial_division_is_prime(n: int) -> bool:
    if n < 2:
        return False
    return all(n % d for d in range(2, math.isqrt(n) + 1))


def strong_probable_prime(n: int, base: int) -> bool:
    d, s = n - 1, 0
    while d % 2 == 0:
        d, s = d // 2, s + 1
    x = pow(base, d, n)
    if x in (1, n - 1):
        return True
    for _ in range(s - 1):
        x = x * x % n
        if x == n - 1:
            return True
    return False


def mr_is_prime(n: int) -> bool:
    assert n < MR_DETERMINISTIC_BELOW
    if n < 2:
        return False
    for p in MR_BASES:
        if n % p == 0:
            return n == p
    return all(strong_probable_prime(n, a) for a in MR_BASES)


def check(n, **kwargs):
    options = {k: kwargs.pop(k) for k in ("max_digits", "factor_timeout", "test_timeout") if k in kwargs}
    return check_prime(PrimeInput(n=n, **kwargs), **options)


def product(factors) -> int:
    return math.prod(int(f.prime) ** f.exponent for f in factors)


@pytest.fixture(scope="module")
def spec():
    return prime_spec(max_digits=1000, factor_timeout=3.0)


# --- ordinary numbers ----------------------------------------------------------


def test_matches_a_sieve_below_3000():
    flags = sieve(3000)
    for n in range(3001):
        assert check(n, factorize=False).is_prime is flags[n], n


def test_factorisations_below_2000_multiply_back_to_prime_factors():
    for n in range(4, 2000):
        result = check(n)
        if result.is_prime:
            continue
        assert result.factorization_complete is True
        assert product(result.factors) == n
        assert all(trial_division_is_prime(int(f.prime)) for f in result.factors)
        assert [int(f.prime) for f in result.factors] == sorted(int(f.prime) for f in result.factors)


def test_known_primes():
    assert trial_division_is_prime(3214567)  # checked here, not taken on trust
    result = check(3214567)
    assert result.is_prime and result.factors is None and result.n == "3214567"
    assert mr_is_prime(2**61 - 1)
    assert check(2**61 - 1).is_prime


def test_mersenne_67_is_composite_with_cole_factors():
    p, q = 193707721, 761838257287
    assert p * q == 2**67 - 1 and trial_division_is_prime(p) and mr_is_prime(q)
    result = check(2**67 - 1)
    assert not result.is_prime
    assert result.factorization_complete is True
    assert [(f.prime, f.exponent) for f in result.factors] == [(str(p), 1), (str(q), 1)]
    assert result.reason == f"composite: divisible by {p}"


def test_zero_and_one_are_not_prime_with_a_reason():
    zero, one = check(0), check(1)
    assert not zero.is_prime and "greater than 1" in zero.reason
    assert not one.is_prime and "one divisor" in one.reason
    assert zero.factors is None and one.factorization_complete is None


# --- numbers that fool weak tests ---------------------------------------------

CARMICHAEL = [561, 1105, 1729, 2465, 2821, 6601, 8911, 41041, 825265, 321197185]
STRONG_PSEUDOPRIMES_BASE_2 = [2047, 3277, 4033, 4681, 8321, 1373653, 25326001, 3215031751]
PSEUDOPRIME_TO_BASES_2_TO_23 = 3825123056546413051


@pytest.mark.parametrize("n", CARMICHAEL)
def test_carmichael_numbers_are_composite(n):
    assert not trial_division_is_prime(n)
    assert all(pow(a, n - 1, n) == 1 for a in (2, 3, 5, 7, 11, 13, 17, 19, 23) if math.gcd(a, n) == 1)
    result = check(n)
    assert not result.is_prime
    primes = [int(f.prime) for f in result.factors]
    assert product(result.factors) == n
    # Korselt's criterion, which makes them Carmichael: squarefree and p - 1 | n - 1.
    assert all(f.exponent == 1 for f in result.factors) and all((n - 1) % (p - 1) == 0 for p in primes)


@pytest.mark.parametrize("n", STRONG_PSEUDOPRIMES_BASE_2)
def test_strong_pseudoprimes_to_base_2_are_composite(n):
    assert strong_probable_prime(n, 2) and not mr_is_prime(n)
    result = check(n)
    assert not result.is_prime and product(result.factors) == n


def test_strong_pseudoprime_to_every_prime_base_up_to_23():
    n = PSEUDOPRIME_TO_BASES_2_TO_23
    assert all(strong_probable_prime(n, a) for a in (2, 3, 5, 7, 11, 13, 17, 19, 23))
    assert not mr_is_prime(n)  # base 29 or above exposes it
    result = check(str(n))
    assert not result.is_prime
    assert result.factorization_complete is True and product(result.factors) == n
    assert all(mr_is_prime(int(f.prime)) for f in result.factors)


# --- how n may be given ---------------------------------------------------------


def test_large_prime_as_a_string_is_exact():
    m127 = 2**127 - 1
    result = check(str(m127))
    assert result.is_prime and result.n == str(m127) and result.digits == 39
    assert any("2**64" in note for note in result.notes)  # honest about BPSW above 2**64
    assert check(m127).n == str(m127)  # a JSON integer is exact too


def test_large_float_is_refused_with_advice_to_send_a_string():
    for value in (float(2**127 - 1), 1e20, float(2**53)):
        with pytest.raises(ValueError, match="send n as a string"):
            PrimeInput(n=value)


@pytest.mark.parametrize(
    ("value", "expected"),
    [(97.0, 97), (" +1_000_003 ", 1000003), ("1,000,003", 1000003), ("007", 7), ("0", 0), ("-0", 0), (2**200, 2**200)],
)
def test_accepted_spellings(value, expected):
    assert PrimeInput(n=value).n == expected


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (True, "not a boolean"),
        (False, "not a boolean"),
        (3.5, "whole number"),
        (float("nan"), "whole number"),
        ("12abc", "decimal digits"),
        ("", "decimal digits"),
        ("3,5", "decimal digits"),
        ("1.5", "decimal digits"),
        ("1e5", "decimal digits"),
        ("0x11", "decimal digits"),
        ("١٢", "decimal digits"),  # Arabic-Indic digits: not ASCII
        ([7], "not list"),
        (None, "not NoneType"),
    ],
)
def test_refused_values(spec, value, message):
    out = spec.run({"n": value})
    assert out["ok"] is False and out["error"] == "invalid_input"
    assert message in out["message"], out["message"]


@pytest.mark.parametrize("value", [-7, "-7", -7.0])
def test_negative_numbers_are_refused_with_an_explanation(spec, value):
    out = spec.run({"n": value})
    assert out["error"] == "invalid_input"
    assert "-7 is not prime" in out["message"] and "pass 7" in out["message"]
    assert "greater than 1" in out["message"]


# --- limits ---------------------------------------------------------------------


def test_digit_limit_is_refused_fast_and_named():
    spec50 = prime_spec(max_digits=50, factor_timeout=1.0)
    started = time.perf_counter()
    out = spec50.run({"n": "9" * 51})
    assert out["error"] == "too_large" and "at most 50 digits" in out["message"] and "51 digits" in out["message"]
    out = spec50.run({"n": "1" + "0" * 5000})
    assert out["error"] == "too_large" and "50" in out["message"]
    assert time.perf_counter() - started < 1
    assert spec50.run({"n": "9" * 50, "factorize": False})["ok"] is True


def test_absurd_lengths_are_refused_while_parsing():
    started = time.perf_counter()
    with pytest.raises(ValueError, match=str(HARD_MAX_DIGITS)):
        PrimeInput(n="7" * (HARD_MAX_DIGITS + 1))
    assert time.perf_counter() - started < 1


def test_more_digits_than_python_converts_by_default():
    n = 2**19937 + 1  # 6002 digits, divisible by 3
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(0)
    try:
        expected = str(n)
    finally:
        sys.set_int_max_str_digits(old)
    assert int_to_decimal(n) == expected and decimal_to_int(expected) == n
    result = check(expected, factorize=False, max_digits=7000)
    assert not result.is_prime and result.digits == 6002 and result.n == expected
    assert result.reason == "composite: divisible by 3"


def test_thousand_digit_primes_are_tested_in_the_sandbox():
    m4423 = 2**4423 - 1  # a Mersenne prime of 1332 digits
    result = check(str(m4423), factorize=False, max_digits=2000)
    assert result.is_prime and result.digits == 1332


def test_a_primality_test_past_its_time_limit_is_a_timeout_error():
    started = time.perf_counter()
    with pytest.raises(ToolError) as info:
        check(2**9941 - 1, max_digits=3000, test_timeout=0.3)  # 2993 digits: seconds of work
    assert info.value.code == "timeout" and "primality test" in info.value.message
    assert time.perf_counter() - started < 3


def test_factoring_gives_up_within_its_budget():
    from sympy import nextprime

    p, q = nextprime(10**34 + 7), nextprime(3 * 10**34 + 123)  # two 35-digit primes
    started = time.perf_counter()
    result = check(str(p * q), factor_timeout=0.5)
    elapsed = time.perf_counter() - started
    assert not result.is_prime
    assert result.factorization_complete is False
    assert result.unfactored == str(p * q) and result.factors == []
    assert any("0.5 s" in note for note in result.notes)
    assert elapsed < 3


def test_partial_factorisation_keeps_the_small_factors():
    from sympy import nextprime

    p, q = nextprime(10**34 + 7), nextprime(3 * 10**34 + 123)
    result = check(str(4 * 3**5 * p * q), factor_timeout=0.5)
    assert [(f.prime, f.exponent) for f in result.factors] == [("2", 2), ("3", 5)]
    assert result.factorization_complete is False and result.unfactored == str(p * q)
    assert result.reason == "composite: divisible by 2"


def test_no_factoring_when_not_asked():
    result = check(2**67 - 1, factorize=False)
    assert not result.is_prime and result.factors is None and result.factorization_complete is None


# --- neighbouring primes ------------------------------------------------------------


def test_next_and_previous_prime_small():
    result = check(3214567, next_prime=True, previous_prime=True)
    nxt = next(k for k in range(3214568, 3215000) if trial_division_is_prime(k))
    prv = next(k for k in range(3214566, 3214000, -1) if trial_division_is_prime(k))
    assert (result.next_prime, result.previous_prime) == (str(nxt), str(prv))
    assert check(0, next_prime=True).next_prime == "2"
    assert check(3, previous_prime=True).previous_prime == "2"


@pytest.mark.parametrize("n", [0, 1, 2])
def test_no_previous_prime_below_three(n):
    result = check(n, previous_prime=True)
    assert result.previous_prime is None and any("smaller than 2" in note for note in result.notes)


def test_neighbour_search_past_its_budget_is_a_note():
    result = check(10**999, next_prime=True, factorize=False, factor_timeout=0.01)
    assert not result.is_prime and result.next_prime is None
    assert any("next prime was not found" in note for note in result.notes)


def test_next_and_previous_prime_of_10_to_the_20():
    n = 10**20
    result = check(str(n), next_prime=True, previous_prime=True)
    nxt, prv = int(result.next_prime), int(result.previous_prime)
    assert mr_is_prime(nxt) and mr_is_prime(prv)
    assert not any(mr_is_prime(k) for k in range(prv + 1, nxt))
    assert (nxt, prv) == (10**20 + 39, 10**20 - 11)


# --- as a tool ------------------------------------------------------------------------


def test_spec_metadata(spec):
    assert spec.name == "prime_check"
    assert (spec.hints.read_only, spec.hints.idempotent, spec.hints.open_world) == (True, True, False)
    schema = spec.input_model.model_json_schema()
    assert {s["type"] for s in schema["properties"]["n"]["anyOf"]} == {"integer", "string"}
    assert "string" in schema["properties"]["n"]["description"]


def test_spec_run_returns_json_ready_dicts(spec):
    out = spec.run({"n": "561", "next_prime": True})
    assert out["ok"] is True and out["is_prime"] is False
    assert out["factors"] == [
        {"prime": "3", "exponent": 1},
        {"prime": "11", "exponent": 1},
        {"prime": "17", "exponent": 1},
    ]
    assert out["next_prime"] == "563"
    json.dumps(out)


def test_langchain_tool(spec):
    tool = spec.as_langchain()
    data = json.loads(tool.invoke({"n": str(2**89 - 1)}))
    assert data["is_prime"] is True and data["n"] == str(2**89 - 1)
    refused = json.loads(tool.invoke({"n": True}))
    assert refused["ok"] is False and refused["error"] == "invalid_input"
