"""@tool: typed functions become tools with risk classes, schemas and field allowlists."""

from __future__ import annotations

import pickle
from typing import TypedDict

import pytest
from pydantic import BaseModel

from earned.errors import ToolArgumentsError, ToolDefinitionError
from earned.tools import RiskClass, Tool, ToolContext, tool


class OrderSummary(TypedDict):
    total: float
    date: str
    status: str
    product_names: list[str]


@tool(risk="read", cache_ttl=300, log=["order_id", "fields_returned"])
def get_order_summary(order_id: str) -> OrderSummary:
    """Read an order's total, date, status and product names.

    Args:
        order_id: The order id, like ord_123.
    """
    return {
        "total": 42.0,
        "date": "2026-01-02",
        "status": "delivered",
        "product_names": ["Lamp"],
        "card_number": "4111111111111111",
        "address": "1 Main St",
    }


def test_schema_comes_from_the_signature_and_docstring() -> None:
    definition = get_order_summary.definition
    assert definition.name == "get_order_summary"
    assert definition.description.startswith("Read an order's total")
    assert definition.parameters["required"] == ["order_id"]
    assert definition.parameters["properties"]["order_id"]["description"] == (
        "The order id, like ord_123."
    )
    assert definition.parameters["additionalProperties"] is False


def test_calling_the_tool_object_calls_the_function() -> None:
    assert get_order_summary("ord_1")["total"] == 42.0


def test_invalid_arguments_name_each_problem() -> None:
    with pytest.raises(ToolArgumentsError) as err:
        get_order_summary.validate({"order_id": 5, "extra": True})
    problems = {p["field"]: p for p in err.value.details["errors"]}
    assert set(problems) == {"order_id", "extra"}
    assert problems["extra"]["got"] is True
    assert "invalid arguments for get_order_summary" in str(err.value)


def test_structured_return_annotation_is_the_field_allowlist() -> None:
    projection = get_order_summary.project(get_order_summary("ord_1"))
    assert set(projection.value) == {"total", "date", "status", "product_names"}
    assert projection.removed == ("address", "card_number")


def test_explicit_returns_allow_dotted_paths_into_lists() -> None:
    @tool(risk="read", returns=["id", "items.name"])
    def order(order_id: str) -> dict[str, object]:
        """Read an order."""
        return {"id": order_id, "items": [{"name": "a", "cost": 1}, {"name": "b", "cost": 2}]}

    projection = order.project(order("x"))
    assert projection.value == {"id": "x", "items": [{"name": "a"}, {"name": "b"}]}
    assert projection.removed == ("items.cost",)


async def test_sync_and_async_functions_are_invoked_with_context() -> None:
    seen: list[ToolContext] = []

    @tool(risk="internal_write")
    async def add_note(ctx: ToolContext, text: str) -> str:
        """Add an internal note."""
        seen.append(ctx)
        return text.upper()

    ctx = ToolContext(run_id="r", call_id="c", tool="add_note", idempotency_key="k")
    assert await add_note.invoke(ctx, {"text": "hi"}) == "HI"
    assert seen[0].idempotency_key == "k"
    assert "ctx" not in add_note.definition.parameters["properties"]
    assert await get_order_summary.invoke(ctx, {"order_id": "o"}) is not None


@pytest.mark.parametrize(
    ("risk", "retries", "approval", "cache"),
    [
        ("read", 2, False, True),
        ("internal_write", 0, False, False),
        ("external_write", 0, False, False),
        ("irreversible", 0, True, False),
    ],
)
def test_risk_class_sets_the_defaults(risk: str, retries: int, approval: bool, cache: bool) -> None:
    t_annotated = Tool(_identity, risk=risk, name="t", description="d")
    assert t_annotated.spec.retries == retries
    assert t_annotated.approval_required is approval
    assert RiskClass(risk).is_write is (risk != "read")
    if not cache:
        with pytest.raises(ToolDefinitionError, match="only read tools may be cached"):
            Tool(_identity, risk=risk, name="t", description="d", cache_ttl=5)


def _identity(x: int) -> int:
    """Return x."""
    return x


def test_a_tool_may_tighten_but_never_loosen() -> None:
    assert Tool(_identity, risk="read", retries=0).spec.retries == 0
    assert Tool(_identity, risk="internal_write", approval=True).approval_required
    with pytest.raises(ToolDefinitionError, match="always requires approval"):
        Tool(_identity, risk="irreversible", approval=False)
    with pytest.raises(ToolDefinitionError, match="idempotent"):
        Tool(_identity, risk="external_write", retries=2)
    assert Tool(_identity, risk="external_write", retries=2, idempotent=True).spec.retries == 2


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"risk": "dangerous"}, "unknown risk class 'dangerous'"),
        ({"risk": "read", "rate_limit": "lots"}, "cannot read rate limit"),
    ],
)
def test_bad_declarations_say_what_to_write(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(ToolDefinitionError, match=message):
        Tool(_identity, **kwargs)  # type: ignore[arg-type]


def test_functions_that_cannot_be_described_are_refused() -> None:
    def undocumented(x: int) -> int:
        return x

    def untyped(x):  # type: ignore[no-untyped-def]
        """Untyped."""
        return x

    with pytest.raises(ToolDefinitionError, match="no description"):
        Tool(undocumented, risk="read")
    with pytest.raises(ToolDefinitionError, match="no type annotation"):
        Tool(untyped, risk="read")


def test_rate_limits_parse() -> None:
    t = Tool(_identity, risk="read", rate_limit="10/minute")
    assert t.rate_limit is not None
    assert (t.rate_limit.calls, t.rate_limit.per_seconds) == (10, 60.0)


class PolicySection(BaseModel):
    section: str
    text: str


def test_pydantic_return_models_define_the_allowlist() -> None:
    @tool(risk="read")
    def get_policy(section: str) -> PolicySection:
        """Read a policy section."""
        return PolicySection(section=section, text="t")

    assert get_policy.returns is not None
    assert get_policy.returns.paths == {"section", "text"}


def test_digest_changes_when_the_contract_changes() -> None:
    a = Tool(_identity, risk="read", name="t")
    b = Tool(_identity, risk="internal_write", name="t")
    assert a.digest != b.digest
    assert a.digest == Tool(_identity, risk="read", name="t").digest


def test_tool_errors_survive_pickling_with_their_values() -> None:
    with pytest.raises(ToolArgumentsError) as err:
        get_order_summary.validate({})
    again = pickle.loads(pickle.dumps(err.value))
    assert type(again) is ToolArgumentsError
    assert again.details == err.value.details
    assert again.to_dict()["type"] == "ToolArgumentsError"
