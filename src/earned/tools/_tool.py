"""`@tool`: a typed Python function becomes a Tool with a risk class and its table row."""

from __future__ import annotations

import asyncio
import functools
import hashlib
import inspect
import json
from collections.abc import Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Generic, ParamSpec, TypeVar, cast

from pydantic import ValidationError
from pydantic_core import to_jsonable_python

from earned.errors import ToolArgumentsError, ToolDefinitionError
from earned.messages import ToolDefinition
from earned.tools._projection import FieldAllowlist, Projection
from earned.tools._risk import NO_RETRY, READ_RETRY, RateLimit, RetryPolicy, RiskClass
from earned.tools._schema import ArgsSchema, build_args_schema, declared_return_fields

if TYPE_CHECKING:
    from earned.guards import BreakerSettings

__all__ = ["Tool", "ToolContext", "ToolSpec", "tool"]

P = ParamSpec("P")
R = TypeVar("R")

#: Per-call timeout when a tool does not declare one.
DEFAULT_TIMEOUT = 30.0


@dataclass(frozen=True, kw_only=True)
class ToolContext:
    """What earned tells a tool about the call it is serving (declare it as first parameter).

    Write tools should hand `idempotency_key` to the external system so that a retried or
    recovered call can never take effect twice.
    """

    run_id: str
    call_id: str
    tool: str
    idempotency_key: str | None = None
    attempt: int = 1
    tenant: str | None = None
    user: str | None = None
    capability: str | None = None
    deps: Any = None


@dataclass(frozen=True, kw_only=True)
class ToolSpec:
    """A tool's row in the seeds' tool table: what it is for, what it must never do."""

    name: str
    risk: RiskClass
    allowed_use: str
    blocked_use: str
    approval_needed: bool
    logging: tuple[str, ...]
    returns: tuple[str, ...] | None = None
    cache_ttl: float = 0.0
    retries: int = 0
    idempotent: bool = False
    rate_limit: str | None = None
    extra: dict[str, Any] = field(default_factory=dict)


class Tool(Generic[P, R]):
    """A function the agent may call, with everything policy and the runtime need to know.

    Calling the Tool object calls the function directly (for your own tests); agents call it
    through the runtime, which validates, checks policy, retries, caches and records.
    """

    def __init__(
        self,
        fn: Callable[P, R],
        *,
        risk: RiskClass | str,
        name: str | None = None,
        description: str | None = None,
        returns: Iterable[str] | None = None,
        sensitive: Iterable[str] = (),
        approval: bool | None = None,
        retries: int | None = None,
        idempotent: bool = False,
        cache_ttl: float = 0.0,
        timeout: float | None = DEFAULT_TIMEOUT,
        rate_limit: str | None = None,
        allowed_use: str = "",
        blocked_use: str = "",
        log: Iterable[str] = (),
        breaker: BreakerSettings | bool | None = None,
    ) -> None:
        self.fn = fn
        self.name: str = name or fn.__name__
        self.risk = RiskClass.parse(risk, tool=self.name)
        self._schema: ArgsSchema = build_args_schema(
            fn, name=self.name, context_type=ToolContext, description=description
        )
        self.description = self._schema.description
        self.is_async = inspect.iscoroutinefunction(fn)
        self.approval_required = _approval(self.risk, approval, self.name)
        self.idempotent = idempotent
        self.retry: RetryPolicy = _retry(self.risk, retries, idempotent, self.name)
        self.cache_ttl = _cache_ttl(self.risk, cache_ttl, self.name)
        self.timeout = timeout
        self.rate_limit = RateLimit.parse(rate_limit, tool=self.name) if rate_limit else None
        declared = declared_return_fields(fn)
        paths = list(returns) if returns is not None else declared
        self.returns: FieldAllowlist | None = FieldAllowlist(paths) if paths is not None else None
        self.sensitive = frozenset(sensitive)
        self.allowed_use = allowed_use
        self.blocked_use = blocked_use
        self.log = tuple(log)
        self.breaker = _breaker(breaker, self.name)
        self._reconcile: Callable[..., Any] | None = None
        self._simulate: Callable[..., Any] | None = None
        functools.update_wrapper(self, fn)  # type: ignore[arg-type]

    def __repr__(self) -> str:
        return f"Tool({self.name!r}, risk={self.risk.value!r})"

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> R:
        return self.fn(*args, **kwargs)

    @property
    def definition(self) -> ToolDefinition:
        """The name, description and JSON schema sent to models."""
        return ToolDefinition(
            name=self.name, description=self.description, parameters=self._schema.json_schema
        )

    @property
    def argument_names(self) -> frozenset[str]:
        """Names of the arguments a model must send (policy files are checked against it)."""
        return self._schema.field_names

    @property
    def spec(self) -> ToolSpec:
        """This tool's row in the tool table."""
        return ToolSpec(
            name=self.name,
            risk=self.risk,
            allowed_use=self.allowed_use or self.description.split("\n")[0],
            blocked_use=self.blocked_use,
            approval_needed=self.approval_required,
            logging=self.log,
            returns=tuple(sorted(self.returns.paths)) if self.returns else None,
            cache_ttl=self.cache_ttl,
            retries=self.retry.max_attempts - 1,
            idempotent=self.idempotent,
            rate_limit=str(self.rate_limit) if self.rate_limit else None,
        )

    @functools.cached_property
    def digest(self) -> str:
        """A content hash of everything a reviewer would call a change to this tool."""
        spec = self.spec
        payload = {
            "definition": self.definition.model_dump(),
            "risk": self.risk.value,
            "approval": spec.approval_needed,
            "returns": spec.returns,
            "retries": spec.retries,
            "idempotent": spec.idempotent,
            "cache_ttl": spec.cache_ttl,
            "sensitive": sorted(self.sensitive),
        }
        blob = json.dumps(payload, sort_keys=True, default=str).encode()
        return hashlib.sha256(blob).hexdigest()

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check arguments against the schema; return them normalised (JSON types).

        Raises ToolArgumentsError listing each problem with its location and value, in a
        form a model can act on.
        """
        try:
            parsed = self._schema.model.model_validate(dict(arguments))
        except ValidationError as exc:
            problems = [
                {
                    "field": ".".join(str(p) for p in err["loc"]) or "(arguments)",
                    "problem": err["msg"],
                    "got": to_jsonable_python(err.get("input"), fallback=repr),
                }
                for err in exc.errors()
            ]
            summary = "; ".join(f"{p['field']}: {p['problem']}" for p in problems)
            raise ToolArgumentsError(
                f"invalid arguments for {self.name}: {summary}",
                tool=self.name,
                errors=problems,
                expected=self._schema.json_schema,
            ) from None
        return parsed.model_dump(mode="json")

    async def invoke(self, ctx: ToolContext, arguments: Mapping[str, Any]) -> Any:
        """Run the function on validated arguments; the result is made JSON-safe."""
        kwargs = dict(self._schema.model.model_validate(dict(arguments)))
        if self._schema.context_param:
            kwargs[self._schema.context_param] = ctx
        if self.is_async:
            result = await cast(Callable[..., Awaitable[Any]], self.fn)(**kwargs)
        else:
            result = await asyncio.to_thread(functools.partial(self.fn, **kwargs))
        return to_jsonable_python(result, fallback=str)

    def reconciler(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Declare how to check whether a call took effect (decorator).

        After a crash between "intended" and "committed", or a transient error on a write,
        earned asks this function instead of calling the tool again. It takes the tool's
        arguments, and a ToolContext (with the idempotency key) as its first parameter when
        that parameter is not one of the tool's arguments; it returns the call's result if
        the effect exists, or None if it does not.
        """
        if not self.risk.is_write:
            raise ToolDefinitionError(
                f"tool {self.name!r} is a read tool; only writes need a reconcile check",
                tool=self.name,
            )
        self._reconcile = fn
        return fn

    def simulator(self, fn: Callable[..., Any]) -> Callable[..., Any]:
        """Declare the result a write returns when a stage only simulates it (decorator).

        Takes the tool's arguments; without one, a simulated call returns
        `{"simulated": True, "tool": ..., "arguments": ...}`.
        """
        self._simulate = fn
        return fn

    def simulated(self, arguments: Mapping[str, Any]) -> Any:
        """What a simulated call of this tool returns (always marked `simulated`)."""
        if self._simulate is None:
            return {"simulated": True, "tool": self.name, "arguments": dict(arguments)}
        kwargs = dict(self._schema.model.model_validate(dict(arguments)))
        value = to_jsonable_python(self._simulate(**kwargs), fallback=str)
        return (
            {**value, "simulated": True}
            if isinstance(value, dict)
            else {"simulated": True, "result": value}
        )

    @property
    def can_reconcile(self) -> bool:
        """True when a reconcile check was declared."""
        return self._reconcile is not None

    async def reconcile(self, ctx: ToolContext, arguments: Mapping[str, Any]) -> Any:
        """Run the reconcile check; the effect's result, or None when it did not happen."""
        fn = self._reconcile
        if fn is None:
            raise ToolDefinitionError(f"tool {self.name!r} has no reconcile check", tool=self.name)
        kwargs = dict(self._schema.model.model_validate(dict(arguments)))
        params = list(inspect.signature(fn).parameters.values())
        if params and params[0].name not in self.argument_names:
            kwargs = {params[0].name: ctx, **kwargs}  # a first parameter that is no argument
        if inspect.iscoroutinefunction(fn):
            found = await fn(**kwargs)
        else:
            found = await asyncio.to_thread(functools.partial(fn, **kwargs))
        return None if found is None else to_jsonable_python(found, fallback=str)

    def project(self, value: Any, narrower: FieldAllowlist | None = None) -> Projection:
        """Apply the returned-field allowlist (and a policy's narrower one, if given)."""
        allow = self.returns.intersect(narrower) if self.returns else narrower
        if allow is None:
            return Projection(value=value)
        return allow.apply(value)


def _approval(risk: RiskClass, approval: bool | None, name: str) -> bool:
    if risk is RiskClass.IRREVERSIBLE:
        if approval is False:
            raise ToolDefinitionError(
                f"tool {name!r} is irreversible and always requires approval; a tool may "
                "tighten its defaults, never loosen them. To auto-approve narrow cases, "
                "write a policy rule with `approval: waived`",
                tool=name,
            )
        return True
    return bool(approval)


def _retry(risk: RiskClass, retries: int | None, idempotent: bool, name: str) -> RetryPolicy:
    if retries is not None and retries < 0:
        raise ToolDefinitionError(f"tool {name!r}: retries must be >= 0, got {retries}", tool=name)
    if risk.is_write:
        if retries and not idempotent:
            raise ToolDefinitionError(
                f"tool {name!r} is a {risk.value} and may not be retried unless it is "
                "idempotent; pass idempotent=True if the external system deduplicates by "
                "the idempotency key, or drop retries",
                tool=name,
                retries=retries,
            )
        return RetryPolicy(max_attempts=1 + retries) if retries else NO_RETRY
    if retries is None:
        return READ_RETRY
    return RetryPolicy(max_attempts=1 + retries)


def _breaker(value: Any, name: str) -> BreakerSettings | bool | None:
    from earned.guards import BreakerSettings

    if value is None or isinstance(value, bool | BreakerSettings):
        return value
    raise ToolDefinitionError(
        f"tool {name!r}: breaker must be BreakerSettings(...), True or False, got "
        f"{type(value).__name__}",
        tool=name,
    )


def _cache_ttl(risk: RiskClass, ttl: float, name: str) -> float:
    if ttl < 0:
        raise ToolDefinitionError(f"tool {name!r}: cache_ttl must be >= 0, got {ttl}", tool=name)
    if ttl and risk.is_write:
        raise ToolDefinitionError(
            f"tool {name!r} is a {risk.value}; only read tools may be cached. Remove cache_ttl",
            tool=name,
            cache_ttl=ttl,
        )
    return float(ttl)


def tool(
    *,
    risk: RiskClass | str,
    name: str | None = None,
    description: str | None = None,
    returns: Iterable[str] | None = None,
    sensitive: Iterable[str] = (),
    approval: bool | None = None,
    retries: int | None = None,
    idempotent: bool = False,
    cache_ttl: float = 0.0,
    timeout: float | None = DEFAULT_TIMEOUT,
    rate_limit: str | None = None,
    allowed_use: str = "",
    blocked_use: str = "",
    log: Iterable[str] = (),
    breaker: BreakerSettings | bool | None = None,
) -> Callable[[Callable[P, R]], Tool[P, R]]:
    """Turn a typed function (sync or async) into a Tool.

    Args:
        risk: `read`, `internal_write`, `external_write` or `irreversible`; sets defaults.
        name: The name the model sees (default: the function's name).
        description: What the tool does and when to use it (default: the docstring).
        returns: Dotted paths the tool may return; anything else is removed and recorded.
            Defaults to the fields of a structured return annotation.
        sensitive: Argument or result fields to redact in traces.
        approval: True to always require approval (irreversible tools always do).
        retries: Extra attempts on transient errors (read default 2; writes need idempotent).
        idempotent: The external system deduplicates by idempotency key: retries are safe.
        cache_ttl: Seconds a read tool's result may be reused for the same arguments.
        timeout: Seconds one attempt may take.
        rate_limit: At most this many calls, e.g. "10/minute".
        allowed_use: The tool table's "allowed use" column.
        blocked_use: The tool table's "blocked use" column.
        log: What must be logged for each call (the tool table's logging column).
        breaker: This tool's circuit breaker: `BreakerSettings(...)`, or False for none
            (default: the engine's defaults; see `earned.guards.Breakers`).
    """

    def wrap(fn: Callable[P, R]) -> Tool[P, R]:
        return Tool(
            fn,
            risk=risk,
            name=name,
            description=description,
            returns=returns,
            sensitive=sensitive,
            approval=approval,
            retries=retries,
            idempotent=idempotent,
            cache_ttl=cache_ttl,
            timeout=timeout,
            rate_limit=rate_limit,
            allowed_use=allowed_use,
            blocked_use=blocked_use,
            log=log,
            breaker=breaker,
        )

    return wrap
