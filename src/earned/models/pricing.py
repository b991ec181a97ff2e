"""Model prices and the cost of a call. Extend the table with your own prices."""

from __future__ import annotations

import fnmatch
from collections.abc import Mapping
from dataclasses import dataclass

from earned.messages import Usage

__all__ = ["DEFAULT_PRICES", "Price", "PriceTable"]


@dataclass(frozen=True, kw_only=True)
class Price:
    """US dollars per million input and output tokens."""

    input_per_mtok: float
    output_per_mtok: float

    def cost(self, usage: Usage) -> float:
        """Dollars for this usage."""
        return (
            usage.input_tokens * self.input_per_mtok + usage.output_tokens * self.output_per_mtok
        ) / 1_000_000


#: List prices (USD per million tokens) for common models; patterns use shell wildcards
#: and are matched against the provider-qualified name (`openai:gpt-4.1-mini`).
DEFAULT_PRICES: Mapping[str, Price] = {
    "openai:gpt-4.1": Price(input_per_mtok=2.0, output_per_mtok=8.0),
    "openai:gpt-4.1-mini": Price(input_per_mtok=0.4, output_per_mtok=1.6),
    "openai:gpt-4.1-nano": Price(input_per_mtok=0.1, output_per_mtok=0.4),
    "openai:gpt-4o": Price(input_per_mtok=2.5, output_per_mtok=10.0),
    "openai:gpt-4o-mini": Price(input_per_mtok=0.15, output_per_mtok=0.6),
    "openai:o4-mini": Price(input_per_mtok=1.1, output_per_mtok=4.4),
    "anthropic:claude-opus-4*": Price(input_per_mtok=15.0, output_per_mtok=75.0),
    "anthropic:claude-sonnet-4*": Price(input_per_mtok=3.0, output_per_mtok=15.0),
    "anthropic:claude-3-5-haiku*": Price(input_per_mtok=0.8, output_per_mtok=4.0),
    "anthropic:claude-haiku-4*": Price(input_per_mtok=1.0, output_per_mtok=5.0),
    "openai-compatible:*": Price(input_per_mtok=0.0, output_per_mtok=0.0),
    "test:*": Price(input_per_mtok=0.0, output_per_mtok=0.0),
}


class PriceTable:
    """Looks up a model's price: exact name first, then the longest matching pattern."""

    def __init__(self, prices: Mapping[str, Price] | None = None) -> None:
        self._prices = dict(DEFAULT_PRICES if prices is None else prices)

    def with_prices(self, prices: Mapping[str, Price]) -> PriceTable:
        """A new table with these prices added or replaced."""
        return PriceTable({**self._prices, **prices})

    def price(self, model: str) -> Price | None:
        """The price of `model`, or None when the table does not know it."""
        if model in self._prices:
            return self._prices[model]
        matches = [p for p in self._prices if fnmatch.fnmatchcase(model, p)]
        if not matches:
            return None
        return self._prices[max(matches, key=len)]

    def cost(self, model: str, usage: Usage) -> float | None:
        """Dollars for `usage` on `model`, or None when the price is unknown."""
        price = self.price(model)
        return None if price is None else price.cost(usage)
