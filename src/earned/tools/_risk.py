"""Risk classes and the defaults each one sets (retries, caching, approval, idempotency)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum

from earned.errors import ToolDefinitionError

__all__ = ["RateLimit", "RetryPolicy", "RiskClass"]


class RiskClass(StrEnum):
    """How much harm a tool can do; the class sets its defaults.

    ======================  ==========================  =======  ========  ===============
    class                   retries                     caching  approval  idempotency key
    ======================  ==========================  =======  ========  ===============
    ``read``                transient errors, backoff   by TTL   no        no
    ``internal_write``      never (unless idempotent)   never    no        yes
    ``external_write``      never (unless idempotent)   never    no        yes
    ``irreversible``        never (unless idempotent)   never    always    yes
    ======================  ==========================  =======  ========  ===============
    """

    READ = "read"
    INTERNAL_WRITE = "internal_write"
    EXTERNAL_WRITE = "external_write"
    IRREVERSIBLE = "irreversible"

    @property
    def rank(self) -> int:
        """0 for read up to 3 for irreversible."""
        return _RANKS[self]

    @property
    def is_write(self) -> bool:
        """True for every class above `read`: the call has a side effect."""
        return self is not RiskClass.READ

    @classmethod
    def parse(cls, value: str | RiskClass, *, tool: str) -> RiskClass:
        """Read a risk class, with an error that lists the valid ones."""
        try:
            return cls(value)
        except ValueError:
            valid = ", ".join(c.value for c in cls)
            raise ToolDefinitionError(
                f"tool {tool!r}: unknown risk class {value!r}; use one of {valid}",
                tool=tool,
                risk=value,
            ) from None


_RANKS = {
    RiskClass.READ: 0,
    RiskClass.INTERNAL_WRITE: 1,
    RiskClass.EXTERNAL_WRITE: 2,
    RiskClass.IRREVERSIBLE: 3,
}


@dataclass(frozen=True, kw_only=True)
class RetryPolicy:
    """How often and how patiently a transient failure is retried."""

    max_attempts: int = 1
    initial_delay: float = 0.2
    backoff: float = 2.0
    max_delay: float = 5.0

    def delay(self, attempt: int) -> float:
        """Seconds to wait after failed attempt number `attempt` (1-based)."""
        return min(self.max_delay, self.initial_delay * self.backoff ** (attempt - 1))


#: Read tools retry transient errors three times with backoff.
READ_RETRY = RetryPolicy(max_attempts=3)
NO_RETRY = RetryPolicy(max_attempts=1)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*(s|sec|second|m|min|minute|h|hour)s?\s*$")
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "second": 1,
    "m": 60,
    "min": 60,
    "minute": 60,
    "h": 3600,
    "hour": 3600,
}


@dataclass(frozen=True, kw_only=True)
class RateLimit:
    """At most `calls` calls every `per_seconds` seconds."""

    calls: int
    per_seconds: float

    @classmethod
    def parse(cls, text: str, *, tool: str) -> RateLimit:
        """Read "10/minute", "5/s", "100/2h" and the like."""
        match = _RATE.match(text)
        if not match or int(match.group(1)) <= 0:
            raise ToolDefinitionError(
                f"tool {tool!r}: cannot read rate limit {text!r}; write it as "
                '"CALLS/UNIT" with UNIT one of second, minute, hour (e.g. "10/minute")',
                tool=tool,
                rate_limit=text,
            )
        count, multiple, unit = match.groups()
        seconds = _UNIT_SECONDS[unit] * (int(multiple) if multiple else 1)
        return cls(calls=int(count), per_seconds=float(seconds))

    def __str__(self) -> str:
        return f"{self.calls}/{self.per_seconds:g}s"
