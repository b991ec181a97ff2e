"""A Model wrapper that tries the next model when one fails with a transient error.

    model = FallbackModel(
        infer_model("openai:gpt-4.1-mini"), infer_model("anthropic:claude-haiku-4-5")
    )

Transient errors are HTTP 429 and 5xx (`ModelHTTPError.is_transient`), timeouts and
connection failures. Any other error (a 400, a missing key, blocked requests) propagates at
once: another provider would not fix it. The response comes from the model that answered,
so its `model` and `provider` fields say which one it was.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from earned.errors import ModelError, ModelHTTPError, UserError
from earned.messages import Message, ModelResponse, ModelSettings, OutputSchema, ToolDefinition
from earned.models._base import Model
from earned.models._registry import infer_model

__all__ = ["FallbackModel", "fallback_model", "is_transient"]


def is_transient(error: ModelError) -> bool:
    """True when another attempt (or another model) may succeed where this one failed."""
    if isinstance(error, ModelHTTPError):
        return error.is_transient
    return error.transient


class FallbackModel:
    """Tries `primary`, then each of `fallbacks` in order, while the failures are transient.

    When every model fails, the last error is raised again (same type, so the runtime
    still sees a transient error and may retry the whole chain) with each model's failure
    in `details["failures"]`.
    """

    def __init__(self, primary: Model, *fallbacks: Model) -> None:
        if not fallbacks:
            raise UserError(
                "FallbackModel needs at least one fallback: FallbackModel(primary, fallback, ...)",
                primary=primary.name,
            )
        self.models: tuple[Model, ...] = (primary, *fallbacks)

    @property
    def name(self) -> str:
        """`fallback:` and the models' names in order, comma-separated."""
        return "fallback:" + ",".join(model.name for model in self.models)

    def __repr__(self) -> str:
        return f"FallbackModel({self.name!r})"

    async def request(
        self,
        messages: Sequence[Message],
        *,
        tools: Sequence[ToolDefinition] = (),
        output: OutputSchema | None = None,
        settings: ModelSettings | None = None,
    ) -> ModelResponse:
        """Ask each model in turn until one answers or one fails with a non-transient error."""
        failures: list[tuple[str, ModelError]] = []
        for model in self.models:
            try:
                return await model.request(messages, tools=tools, output=output, settings=settings)
            except ModelError as error:
                if not is_transient(error):
                    raise
                failures.append((model.name, error))
        raise _all_failed(self.name, failures) from failures[-1][1]

    async def aclose(self) -> None:
        """Close the wrapped models that hold connections (those with an `aclose()`)."""
        for model in self.models:
            close = getattr(model, "aclose", None)
            if close is not None:
                await close()


def _all_failed(name: str, failures: list[tuple[str, ModelError]]) -> ModelError:
    last = failures[-1][1]
    summary = "; ".join(f"{model}: {error.message}" for model, error in failures)
    details: dict[str, Any] = {
        **last.details,
        "model": name,
        "failures": [{"model": model, **error.to_dict()} for model, error in failures],
    }
    return type(last)(f"every model of {name} failed: {summary}", **details)


def fallback_model(spec: str) -> FallbackModel:
    """`fallback:A,B,...`: each comma-separated part is resolved with `infer_model`."""
    parts = [part.strip() for part in spec.split(",") if part.strip()]
    if len(parts) < 2:
        raise UserError(
            f"cannot read fallback model {spec!r}: write it as fallback:MODEL,MODEL[,...], "
            "e.g. fallback:openai:gpt-4.1-mini,anthropic:claude-haiku-4-5",
            model=f"fallback:{spec}",
        )
    first, *rest = (infer_model(part) for part in parts)
    return FallbackModel(first, *rest)
