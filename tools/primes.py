"""Prime check: is ``n`` prime, its factors, its neighbouring primes.

Primality uses :func:`sympy.isprime` (Baillie-PSW: deterministic below 2**64,
no known counterexample above, and correct on Carmichael numbers and strong
pseudoprimes that fool a plain Fermat or Miller-Rabin test); below 3.2 * 10**23
a Miller-Rabin test to twelve fixed bases, which is a proof there, answers
without importing sympy (:mod:`tools.prime_small`).  Factoring a
large semiprime can take forever, so factorisation and the next/previous prime
of large numbers run in the killable :mod:`tools.sandbox` under a time budget;
running out of it is an answer ("factorisation incomplete"), not an error.

Integers arrive as JSON numbers or decimal strings: a float cannot carry more
than 53 bits, so large values must come as strings to keep every digit.
Python refuses int<->str conversions beyond 4300 digits (a DoS guard), so the
conversions here split long numbers into chunks below that limit.
"""

from __future__ import annotations

import math
import re
import sys
from typing import Annotated, Any

from pydantic import BaseModel, Field, WithJsonSchema, field_validator
from pydantic_core import PydanticCustomError

from tools.base import ToolError, ToolHints, ToolSpec
from tools.sandbox import Sandbox, shared_sandbox

HARD_MAX_DIGITS = 100_000  # beyond any configurable limit: refused while parsing
IN_PROCESS_TEST_DIGITS = 1000  # isprime below this takes < 0.3 s; above, it runs in the sandbox
IN_PROCESS_FACTOR_BELOW = 2**40  # factorint is instant here: no worker needed
IN_PROCESS_NEIGHBOUR_BELOW = 2**64
_TRIAL_PRIMES_BELOW = 10_000
_FLOAT_EXACT_BELOW = 2**53
_LOG2_10 = math.log2(10)
_OUT_OF_BUDGET = ("timeout", "too_large")  # sandbox errors that make a partial answer; others are raised

# Digits with optional Python-style underscores, or comma thousands groups ("1,000,003").
# "3,5" is refused on purpose: it may be a European decimal comma.
_INT_TEXT = re.compile(r"([+-]?)([0-9]+(?:_[0-9]+)*|[0-9]{1,3}(?:,[0-9]{3})+)")


def _small_primes(limit: int) -> list[int]:
    sieve = bytearray([1]) * limit
    sieve[0:2] = b"\x00\x00"
    for i in range(2, math.isqrt(limit - 1) + 1):
        if sieve[i]:
            sieve[i * i :: i] = bytearray(len(range(i * i, limit, i)))
    return [i for i, flag in enumerate(sieve) if flag]


_SMALL_PRIMES = _small_primes(_TRIAL_PRIMES_BELOW)


def _chunk() -> int:  # digits Python converts at once (the limit may be lowered, never below 640)
    limit = sys.get_int_max_str_digits()
    return min(limit - 1, 4000) if limit else 4000


def int_to_decimal(n: int) -> str:
    """``str(n)`` without the 4300-digit limit (divide and conquer on powers of ten)."""
    if n < 0:
        return "-" + int_to_decimal(-n)
    if n.bit_length() * 0.30103 < _chunk() - 2:
        return str(n)
    half = int(n.bit_length() * 0.30103) // 2
    high, low = divmod(n, 10**half)
    return int_to_decimal(high) + int_to_decimal(low).zfill(half)


def decimal_to_int(digits: str) -> int:
    """``int(digits)`` for a string of ASCII digits, without the 4300-digit limit."""
    if len(digits) <= _chunk():
        return int(digits)
    half = len(digits) // 2
    return decimal_to_int(digits[:-half]) * 10**half + decimal_to_int(digits[-half:])


def _negative(digits: str) -> PydanticCustomError:
    shown = digits if len(digits) <= 40 else f"{digits[:20]}... ({len(digits)} digits)"
    return PydanticCustomError(
        "negative",
        "n is -{n}, a negative number: primes are defined for integers greater than 1, so -{n} is not "
        "prime (though its absolute value may be: pass {n} to test that)",
        {"n": shown},
    )


def _too_long() -> PydanticCustomError:
    return PydanticCustomError("too_long", "n has more than {limit} digits", {"limit": HARD_MAX_DIGITS})


def _to_int(value: Any) -> int:
    """Turn the JSON value given for ``n`` into an exact int, or say what to send instead."""
    if isinstance(value, bool):  # True is an int in Python; never what the caller meant
        raise PydanticCustomError("not_integer", "n must be an integer, not a boolean")
    if isinstance(value, int):
        if value.bit_length() > HARD_MAX_DIGITS * _LOG2_10 + 1:
            raise _too_long()
        if value < 0:
            raise _negative(int_to_decimal(-value))
        return value
    if isinstance(value, float):
        if not math.isfinite(value) or not value.is_integer():
            raise PydanticCustomError("not_integer", "n must be a whole number; got {value}", {"value": repr(value)})
        if abs(value) >= _FLOAT_EXACT_BELOW:
            raise PydanticCustomError(
                "imprecise_float",
                "n was sent as the floating-point number {value}, which cannot hold more than 15-16 exact "
                "digits, so its last digits are already lost; send n as a string of digits instead, "
                'e.g. "123456789012345678901"',
                {"value": repr(value)},
            )
        return _to_int(int(value))
    if isinstance(value, str):
        text = value.strip()
        if len(text) > HARD_MAX_DIGITS * 4 // 3 + 2:  # room for separators
            raise _too_long()
        match = _INT_TEXT.fullmatch(text)
        if match is None:
            raise PydanticCustomError(
                "not_integer",
                "n must be a whole number written in decimal digits (optionally with a leading + and "
                '_ or comma thousands separators), e.g. "1000003"; got {value}',
                {"value": repr(value[:60] + ("..." if len(value) > 60 else ""))},
            )
        sign, digits = match.groups()
        digits = digits.replace("_", "").replace(",", "").lstrip("0") or "0"
        if len(digits) > HARD_MAX_DIGITS:
            raise _too_long()
        if sign == "-" and digits != "0":
            raise _negative(digits)
        return decimal_to_int(digits)
    raise PydanticCustomError(
        "not_integer", "n must be an integer or a string of digits, not {type}", {"type": type(value).__name__}
    )


_N_SCHEMA = {
    "anyOf": [
        {"type": "integer", "minimum": 0},
        {"type": "string", "pattern": r"^\s*\+?[0-9][0-9_,]*\s*$"},
    ],
}


class PrimeInput(BaseModel):
    """Arguments of ``prime_check``."""

    n: Annotated[int, WithJsonSchema(_N_SCHEMA)] = Field(
        description="The non-negative integer to test, as a JSON integer or a string of decimal digits. "
        "Give integers above 2**53 (about 16 digits) as a string, e.g. "
        '"170141183460469231731687303715884105727": a JSON float would lose their last digits.'
    )
    factorize: bool = Field(
        default=True,
        description="Also give the prime factorisation when n is composite (within a time budget).",
    )
    next_prime: bool = Field(default=False, description="Also give the smallest prime greater than n.")
    previous_prime: bool = Field(default=False, description="Also give the largest prime smaller than n.")

    @field_validator("n", mode="before")
    @classmethod
    def _parse_n(cls, value: Any) -> int:
        return _to_int(value)


class PrimeFactor(BaseModel):
    prime: str = Field(description="A prime factor, as a decimal string.")
    exponent: int = Field(description="How many times it divides n.")


class PrimeResult(BaseModel):
    """The answer; big integers are decimal strings so no JSON reader rounds them."""

    n: str = Field(description="The number tested, as a decimal string.")
    digits: int = Field(description="Number of decimal digits of n.")
    is_prime: bool
    reason: str = Field(description="Why n is or is not prime, in one line.")
    factors: list[PrimeFactor] | None = Field(
        default=None, description="Prime factors found (composite n only), smallest first."
    )
    factorization_complete: bool | None = Field(
        default=None, description="For a composite n that was factored: whether the factors multiply back to n."
    )
    unfactored: str | None = Field(
        default=None, description="The composite part of n left unfactored when the time budget ran out."
    )
    next_prime: str | None = None
    previous_prime: str | None = None
    notes: list[str] = Field(default_factory=list)


def _sympy(name: str, n: int) -> Any:
    """``sympy.<name>(n)`` as plain Python values; module-level so a sandbox worker can run it.

    Primality and neighbouring primes of numbers below the exact bound of
    :mod:`tools.prime_small` are answered there, without importing sympy.
    """
    from tools import prime_small

    if name == "isprime" and n < prime_small.EXACT_BELOW:
        return prime_small.is_prime(n)
    if name == "nextprime" and n < prime_small.NEIGHBOURS_BELOW:
        return prime_small.next_prime(n)
    if name == "prevprime" and 3 <= n < prime_small.NEIGHBOURS_BELOW:
        return prime_small.prev_prime(n)
    import sympy

    value = getattr(sympy, name)(n)
    if isinstance(value, dict):  # factorint
        return {int(p): int(e) for p, e in value.items()}
    return bool(value) if name == "isprime" else int(value)


def _test(n: int, sandbox: Sandbox, timeout: float) -> bool:
    if n.bit_length() <= IN_PROCESS_TEST_DIGITS * _LOG2_10:
        return _sympy("isprime", n)
    return sandbox.run(_sympy, "isprime", n, timeout=timeout, what="the primality test")


def _factor(
    n: int, sandbox: Sandbox, *, timeout: float, test_timeout: float
) -> tuple[dict[int, int], int | None, str | None]:
    """Factors found, the composite part left (or None), and a note when giving up."""
    factors: dict[int, int] = {}
    rest = n
    for p in _SMALL_PRIMES:  # cheap and always complete: small factors even if the rest times out
        if p * p > rest:
            break
        while rest % p == 0:
            factors[p] = factors.get(p, 0) + 1
            rest //= p
    if rest == 1:
        return factors, None, None
    try:
        if rest < _TRIAL_PRIMES_BELOW**2 or _test(rest, sandbox, test_timeout):
            found = {rest: 1}
        elif rest < IN_PROCESS_FACTOR_BELOW:
            found = _sympy("factorint", rest)
        else:
            found = sandbox.run(_sympy, "factorint", rest, timeout=timeout, what="factoring")
    except ToolError as err:
        if err.code not in _OUT_OF_BUDGET:
            raise  # a broken sandbox is an error, never a shorter list of factors
        left = f"a {len(int_to_decimal(rest))}-digit part with no prime factor below 10000 is left unfactored"
        note = (
            f"factoring stopped after {timeout:g} s: {left}"
            if err.code == "timeout" and "factoring" in err.message
            else f"factoring stopped ({err.message}): {left}"
        )
        return factors, rest, note  # out of time or memory: the small factors are still an answer
    for p, e in found.items():
        factors[p] = factors.get(p, 0) + e
    return factors, None, None


def _neighbour(name: str, n: int, sandbox: Sandbox, timeout: float, label: str) -> tuple[int | None, str | None]:
    try:
        if n < IN_PROCESS_NEIGHBOUR_BELOW:
            return _sympy(name, n), None
        return sandbox.run(_sympy, name, n, timeout=timeout, what=f"finding the {label}"), None
    except ToolError as err:
        if err.code not in _OUT_OF_BUDGET:
            raise
        return None, f"the {label} was not found: {err.message}"


def check_prime(
    inp: PrimeInput,
    *,
    max_digits: int = 1000,
    factor_timeout: float = 3.0,
    test_timeout: float = 30.0,
    sandbox: Sandbox | None = None,
) -> PrimeResult:
    """Primality of ``inp.n``, plus factors and neighbouring primes when asked.

    ``factor_timeout`` bounds each optional computation (factoring, next and
    previous prime); ``test_timeout`` bounds a primality test, which only runs
    in the sandbox (and can only time out) for numbers of more than 1000 digits.
    """
    n = inp.n
    at_least = int((n.bit_length() - 1) / _LOG2_10) + 1 if n else 1  # digits, off by at most one
    if at_least > max_digits + 10:  # clearly too long: refuse before converting it
        raise ToolError(
            f"n has about {at_least} digits; this tool accepts at most {max_digits} digits", code="too_large"
        )
    text = int_to_decimal(n)
    if len(text) > max_digits:
        raise ToolError(f"n has {len(text)} digits; this tool accepts at most {max_digits} digits", code="too_large")
    box = sandbox or shared_sandbox()
    notes: list[str] = []
    result = PrimeResult(n=text, digits=len(text), is_prime=False, reason="")

    if n < 2:
        result.reason = f"{n} is not prime: primes are integers greater than 1" + (
            " (1 has only one divisor, a prime has exactly two)" if n == 1 else " (0 is divisible by every integer)"
        )
    else:
        result.is_prime = _test(n, box, test_timeout)
        if result.is_prime:
            result.reason = "prime: its only divisors are 1 and itself"
            if n >= 2**64:
                notes.append("above 2**64 the Baillie-PSW test is not a proof, but no composite is known to pass it")
        else:
            small = next((p for p in _SMALL_PRIMES if n % p == 0), None)
            result.reason = (
                f"composite: divisible by {small}"
                if small is not None
                else "composite: it fails the Baillie-PSW test, so it has a divisor other than 1 and itself"
            )
            if inp.factorize:
                factors, rest, note = _factor(n, box, timeout=factor_timeout, test_timeout=test_timeout)
                result.factors = [PrimeFactor(prime=int_to_decimal(p), exponent=e) for p, e in sorted(factors.items())]
                result.factorization_complete = rest is None
                result.unfactored = None if rest is None else int_to_decimal(rest)
                if note:
                    notes.append(note)
                if small is None and result.factors:
                    result.reason = f"composite: divisible by {result.factors[0].prime}"

    if inp.next_prime:
        found, note = _neighbour("nextprime", n, box, factor_timeout, "next prime")
        result.next_prime = None if found is None else int_to_decimal(found)
        notes.extend([note] if note else [])
    if inp.previous_prime:
        if n <= 2:
            notes.append("there is no prime smaller than 2, so previous_prime is empty")
        else:
            found, note = _neighbour("prevprime", n, box, factor_timeout, "previous prime")
            result.previous_prime = None if found is None else int_to_decimal(found)
            notes.extend([note] if note else [])
    result.notes = notes
    return result


def prime_spec(
    *, max_digits: int, factor_timeout: float, test_timeout: float = 30.0
) -> ToolSpec[PrimeInput, PrimeResult]:
    """The ``prime_check`` tool, configured with its limits."""

    def run(inp: PrimeInput) -> PrimeResult:
        return check_prime(inp, max_digits=max_digits, factor_timeout=factor_timeout, test_timeout=test_timeout)

    return ToolSpec(
        name="prime_check",
        description=(
            "Decide exactly whether a non-negative integer is prime (Baillie-PSW test, deterministic below 2^64; "
            "not fooled by Carmichael numbers or pseudoprimes), and optionally give its prime factorisation and "
            f"the next/previous prime. n may have at most {max_digits} digits; send integers above 2^53 as a "
            f"string of digits. Factoring gets {factor_timeout:g} s: a hard number may come back only "
            "partly factored (factorization_complete false)."
        ),
        input_model=PrimeInput,
        output_model=PrimeResult,
        func=run,
        hints=ToolHints(
            read_only=True,
            destructive=False,
            idempotent=True,
            open_world=False,
            title="Prime check",
            timeout=2 * test_timeout + 3 * factor_timeout + 10,  # test n, test a cofactor, factor, neighbours
        ),
    )


def from_settings(settings: Any) -> list[ToolSpec]:
    """The registry's builder: this family's tools, configured from the tool settings."""
    return [prime_spec(max_digits=settings.prime_max_digits, factor_timeout=settings.prime_factor_timeout)]


__all__ = [
    "HARD_MAX_DIGITS",
    "PrimeFactor",
    "PrimeInput",
    "PrimeResult",
    "check_prime",
    "decimal_to_int",
    "int_to_decimal",
    "prime_spec",
    "from_settings",
]
