"""Token counts by billing class: the unit every price and every cost per token is quoted in.

Input tokens are billed in two classes (served from the KV cache or not), output tokens in one,
so a count is three integers. Counts are exact integers because DeepSeek-scale days run to
hundreds of billions of tokens and a float would drop the last digits.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal


@dataclass(frozen=True)
class TokenCounts:
    """Tokens by class. `input_cache_hit + input_cache_miss` is every input (prompt) token."""

    input_cache_hit: int = 0
    input_cache_miss: int = 0
    output: int = 0

    def __post_init__(self) -> None:
        if min(self.input_cache_hit, self.input_cache_miss, self.output) < 0:
            raise ValueError(f"token counts cannot be negative: {self}")

    @classmethod
    def of(cls, *, input: int, cached_input: int = 0, output: int = 0) -> TokenCounts:
        """From the shape traces and engines report: all input tokens and the cached part."""
        if not 0 <= cached_input <= input:
            raise ValueError(f"cached input ({cached_input}) must be within 0..input ({input})")
        return cls(
            input_cache_hit=cached_input, input_cache_miss=input - cached_input, output=output
        )

    def __add__(self, other: TokenCounts) -> TokenCounts:
        if not isinstance(other, TokenCounts):
            return NotImplemented
        return TokenCounts(
            input_cache_hit=self.input_cache_hit + other.input_cache_hit,
            input_cache_miss=self.input_cache_miss + other.input_cache_miss,
            output=self.output + other.output,
        )

    @property
    def input(self) -> int:
        """Every input token, cached or not."""
        return self.input_cache_hit + self.input_cache_miss

    @property
    def total(self) -> int:
        """Every token of any class."""
        return self.input + self.output

    def scaled(self, f: float) -> TokenCounts:
        """Each class times `f`, rounded to whole tokens (half to even), e.g. a share of a day."""
        if f < 0:
            raise ValueError(f"scale factor must not be negative, got {f}")
        factor = Decimal(repr(f))
        return TokenCounts(
            input_cache_hit=_times(self.input_cache_hit, factor),
            input_cache_miss=_times(self.input_cache_miss, factor),
            output=_times(self.output, factor),
        )


def _times(count: int, factor: Decimal) -> int:
    """`count * factor` to the nearest token, exactly: a float product loses digits past 2**53."""
    return int((Decimal(count) * factor).to_integral_value(ROUND_HALF_EVEN))
