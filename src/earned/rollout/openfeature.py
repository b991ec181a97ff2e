"""OpenFeature both ways: earned's switches for your application, your provider for earned.

`EarnedProvider` is an OpenFeature provider over earned's live rollout state, so an
application reads earned's switches with the OpenFeature client it already uses::

    api.set_provider(EarnedProvider(RolloutStore(db)), domain="earned")
    client = api.get_client("earned")
    client.get_boolean_value("agent_enabled", False)        # agent-wide flags by name
    client.get_boolean_value("refunds/enabled", False)      # a capability's kill switch
    client.get_string_value("stage/refunds", "disabled")    # a capability's live stage

`OpenFeatureFlags` goes the other way: an OpenFeature client (flagd, Unleash, ...) as a
flag source that earned obeys next to its own store (a flag is off when either says
off)::

    Engine([agent], matrix="capabilities.yaml", flag_source=OpenFeatureFlags(client))

Both read fresh on every evaluation: no cache, so no change events are needed.
Needs the `openfeature` extra: `pip install 'earned[openfeature]'`.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Literal

try:
    from openfeature.client import OpenFeatureClient
    from openfeature.evaluation_context import EvaluationContext
    from openfeature.exception import ErrorCode, FlagNotFoundError, TypeMismatchError
    from openfeature.flag_evaluation import FlagResolutionDetails, Reason
    from openfeature.provider import AbstractProvider, Metadata
except ImportError as exc:  # pragma: no cover - exercised in a subprocess test
    raise ImportError(
        "earned.rollout.openfeature needs the OpenFeature SDK (openfeature-sdk), which is "
        "not installed; run: pip install 'earned[openfeature]'"
    ) from exc

from earned.rollout._sources import FlagSource
from earned.rollout._state import AGENT_SCOPE, Flag, RolloutStore

__all__ = ["STAGE_PREFIX", "EarnedProvider", "OpenFeatureFlags", "flag_key"]

#: String flags `stage/<capability>` hold a capability's live stage.
STAGE_PREFIX = "stage/"


def flag_key(scope: str, name: str) -> str:
    """The OpenFeature key of an earned flag: `name` agent-wide, else `scope/name`."""
    return name if scope == AGENT_SCOPE else f"{scope}/{name}"


class EarnedProvider(AbstractProvider):
    """An OpenFeature provider resolving earned's live flags and stages from its store."""

    def __init__(self, store: RolloutStore) -> None:
        super().__init__()
        self.store = store

    def get_metadata(self) -> Metadata:
        """The provider's name: `earned`."""
        return Metadata(name="earned")

    # -- lookups ----------------------------------------------------------------------------

    def _flag(self, key: str) -> Flag | None:
        scope, name = key.split("/", 1) if "/" in key else (AGENT_SCOPE, key)
        return next((f for f in self.store.flags(scope) if f.name == name), None)

    def _stage(self, key: str) -> str | None:
        if not key.startswith(STAGE_PREFIX):
            return None
        state = self.store.state(key.removeprefix(STAGE_PREFIX))
        return state.stage.value if state is not None else None

    def _missing(self, key: str, wanted: str) -> Exception:
        if self._flag(key) is not None:
            return TypeMismatchError(f"earned flag {key!r} is a boolean, not {wanted}")
        if self._stage(key) is not None:
            return TypeMismatchError(f"earned stage {key!r} is a string, not {wanted}")
        return FlagNotFoundError(
            f"earned has no flag {key!r}: agent-wide flags by name (agent_enabled), "
            "capability switches as CAPABILITY/enabled, stages as stage/CAPABILITY"
        )

    # -- the provider interface --------------------------------------------------------------

    def resolve_boolean_details(
        self,
        flag_key: str,
        default_value: bool,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[bool]:
        """A flag or kill switch: `agent_enabled`, `CAPABILITY/enabled`, ..."""
        del default_value, evaluation_context
        flag = self._flag(flag_key)
        if flag is None:
            raise self._missing(flag_key, "a boolean")
        metadata: dict[str, bool | int | float | str] = {
            "scope": flag.scope,
            "owner": flag.owner,
            "updated_by": flag.updated_by,
            "updated_at": flag.updated_at,
        }
        if flag.reason:
            metadata["reason"] = flag.reason
        return FlagResolutionDetails(
            value=flag.enabled,
            variant="on" if flag.enabled else "off",
            reason=Reason.STATIC,
            flag_metadata=metadata,
        )

    def resolve_string_details(
        self,
        flag_key: str,
        default_value: str,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[str]:
        """A capability's live stage: `stage/CAPABILITY`."""
        del default_value, evaluation_context
        stage = self._stage(flag_key)
        if stage is None:
            raise self._missing(flag_key, "a string")
        return FlagResolutionDetails(value=stage, variant=stage, reason=Reason.STATIC)

    def resolve_integer_details(
        self,
        flag_key: str,
        default_value: int,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[int]:
        """earned has no integer flags."""
        raise self._missing(flag_key, "an integer")

    def resolve_float_details(
        self,
        flag_key: str,
        default_value: float,
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[float]:
        """earned has no float flags."""
        raise self._missing(flag_key, "a float")

    def resolve_object_details(
        self,
        flag_key: str,
        default_value: Sequence[Any] | Mapping[str, Any],
        evaluation_context: EvaluationContext | None = None,
    ) -> FlagResolutionDetails[Sequence[Any] | Mapping[str, Any]]:
        """earned has no object flags."""
        raise self._missing(flag_key, "an object")


class OpenFeatureFlags(FlagSource):
    """An OpenFeature client as a source of earned's flags (flagd, Unleash, ...).

    Each read evaluates the flag's key (`key(scope, name)`, default `flag_key`: the same
    names `earned flags` shows) as a boolean with the default True. A flag the provider
    does not know, or has disabled, is no opinion (earned's store decides). When the
    provider fails (not ready, a type mismatch, ...), `on_error="keep"` (the default)
    lets earned's store decide and `on_error="off"` switches the flag off: fail closed.
    `context` is merged into every evaluation context, next to `scope` and `flag`.
    """

    def __init__(
        self,
        client: OpenFeatureClient,
        *,
        key: Callable[[str, str], str] = flag_key,
        on_error: Literal["keep", "off"] = "keep",
        context: Mapping[str, Any] | None = None,
    ) -> None:
        if on_error not in ("keep", "off"):
            from earned.errors import ConfigError

            raise ConfigError(
                f"on_error must be 'keep' or 'off', got {on_error!r}", on_error=on_error
            )
        self.client = client
        self.key = key
        self.on_error = on_error
        self.context = dict(context or {})

    def __repr__(self) -> str:
        return f"OpenFeatureFlags({self.client.provider.get_metadata().name!r})"

    def flag(self, scope: str, name: str) -> bool | None:
        """True or False from the provider, or None (no opinion)."""
        attributes = {**self.context, "scope": scope, "flag": name}
        details = self.client.get_boolean_details(
            self.key(scope, name), True, EvaluationContext(attributes=attributes)
        )
        if details.error_code is None:
            return None if details.reason == Reason.DISABLED else bool(details.value)
        if details.error_code == ErrorCode.FLAG_NOT_FOUND or self.on_error == "keep":
            return None
        return False
