"""Address models by strings like `openai:gpt-4.1-mini` through a registry (a dict)."""

from __future__ import annotations

import difflib
import importlib
from collections.abc import Callable, Mapping
from importlib.metadata import entry_points

from earned.errors import ModelNotFoundError, UserError
from earned.models._base import Model

__all__ = ["ModelFactory", "ModelRegistry", "default_registry", "infer_model"]

#: Builds a model from the part of the string after `provider:`.
ModelFactory = Callable[[str], Model]

#: Built-in providers: module, factory attribute, and the extra that provides the SDK.
_BUILTIN: Mapping[str, tuple[str, str, str | None]] = {
    "openai": ("earned.models.openai", "openai_model", None),
    "openai-compatible": ("earned.models.openai", "openai_compatible_model", None),
    "anthropic": ("earned.models.anthropic", "anthropic_model", "anthropic"),
    "fallback": ("earned.models.fallback", "fallback_model", None),
}

_ENTRY_POINT_GROUP = "earned.models"


def _lazy(module: str, attr: str, extra: str | None) -> ModelFactory:
    def factory(spec: str) -> Model:
        try:
            mod = importlib.import_module(module)
        except ImportError as exc:
            hint = f"pip install 'earned[{extra}]'" if extra else "pip install earned"
            raise UserError(
                f"the {module} adapter could not be imported ({exc}); install it with: {hint}",
                module=module,
                extra=extra,
            ) from exc
        build: ModelFactory = getattr(mod, attr)
        return build(spec)

    return factory


class ModelRegistry:
    """Maps a provider prefix to a factory; resolve `provider:rest` strings to models."""

    def __init__(self, factories: Mapping[str, ModelFactory] | None = None) -> None:
        self._factories: dict[str, ModelFactory] = dict(factories or {})

    @property
    def providers(self) -> list[str]:
        """Registered provider prefixes, sorted."""
        return sorted(self._factories)

    def register(self, provider: str, factory: ModelFactory) -> None:
        """Add or replace the factory for `provider`."""
        self._factories[provider] = factory

    def resolve(self, spec: str | Model) -> Model:
        """Return the model for `spec` (a Model instance is returned as it is)."""
        if not isinstance(spec, str):
            return spec
        provider, sep, rest = spec.partition(":")
        if not sep or not rest:
            raise ModelNotFoundError(
                f"cannot read model {spec!r}: write it as PROVIDER:MODEL, e.g. "
                "openai:gpt-4.1-mini, openai-compatible:http://localhost:8080/v1#my-model or "
                "anthropic:claude-sonnet-4-5",
                model=spec,
                providers=self.providers,
            )
        factory = self._factories.get(provider)
        if factory is None:
            close = difflib.get_close_matches(provider, self.providers, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else ""
            raise ModelNotFoundError(
                f"no model provider {provider!r}{hint} Known providers: "
                f"{', '.join(self.providers)}",
                model=spec,
                providers=self.providers,
            )
        return factory(rest)


def default_registry() -> ModelRegistry:
    """The built-in providers plus any installed under the `earned.models` entry point."""
    registry = ModelRegistry({p: _lazy(*target) for p, target in _BUILTIN.items()})
    for ep in entry_points(group=_ENTRY_POINT_GROUP):
        registry.register(ep.name, ep.load())
    return registry


def infer_model(spec: str | Model, registry: ModelRegistry | None = None) -> Model:
    """Resolve a model string with `registry` (default: `default_registry()`)."""
    return (registry or default_registry()).resolve(spec)
