"""Build a tool's argument model and description from a typed function."""

from __future__ import annotations

import inspect
from collections.abc import Callable
from dataclasses import fields as dataclass_fields
from dataclasses import is_dataclass
from typing import Any, get_type_hints, is_typeddict

import docstring_parser
from pydantic import BaseModel, ConfigDict, Field, create_model

from earned.errors import ToolDefinitionError

__all__ = ["ArgsSchema", "build_args_schema", "declared_return_fields"]


class ArgsSchema:
    """The argument model of a tool and the name of its context parameter, if any."""

    def __init__(self, model: type[BaseModel], context_param: str | None, description: str) -> None:
        self.model = model
        self.context_param = context_param
        self.description = description

    @property
    def json_schema(self) -> dict[str, Any]:
        """The JSON schema sent to models."""
        schema = self.model.model_json_schema()
        schema.pop("title", None)
        return schema

    @property
    def field_names(self) -> frozenset[str]:
        """The argument names, as a model must send them."""
        return frozenset(self.model.model_fields)


def build_args_schema(
    fn: Callable[..., Any], *, name: str, context_type: type, description: str | None
) -> ArgsSchema:
    """Turn `fn`'s signature into a Pydantic model; a `context_type` parameter is injected."""
    signature = inspect.signature(fn)
    try:
        hints = get_type_hints(fn)
    except Exception as exc:  # unresolved forward references and the like
        raise ToolDefinitionError(
            f"tool {name!r}: cannot resolve the type hints of {fn.__qualname__}: {exc}; "
            "import every annotated type at module level",
            tool=name,
        ) from exc
    doc = docstring_parser.parse(inspect.getdoc(fn) or "")
    param_docs = {p.arg_name: p.description or "" for p in doc.params}
    context_param: str | None = None
    field_defs: dict[str, Any] = {}
    for index, (pname, param) in enumerate(signature.parameters.items()):
        annotation = hints.get(pname, inspect.Parameter.empty)
        if annotation is context_type:
            if index != 0:
                raise ToolDefinitionError(
                    f"tool {name!r}: the {context_type.__name__} parameter {pname!r} "
                    "must come first",
                    tool=name,
                )
            context_param = pname
            continue
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            raise ToolDefinitionError(
                f"tool {name!r}: *args and **kwargs cannot be described to a model; "
                f"declare each argument of {fn.__qualname__} by name",
                tool=name,
                parameter=pname,
            )
        if annotation is inspect.Parameter.empty:
            raise ToolDefinitionError(
                f"tool {name!r}: argument {pname!r} has no type annotation; "
                "annotate it so its schema can be checked",
                tool=name,
                parameter=pname,
            )
        default = ... if param.default is inspect.Parameter.empty else param.default
        field_defs[pname] = (annotation, Field(default, description=param_docs.get(pname) or None))
    model = create_model(  # type: ignore[call-overload]
        f"{_camel(name)}Arguments",
        __config__=ConfigDict(extra="forbid"),
        **field_defs,
    )
    text = description or _describe(doc)
    if not text:
        raise ToolDefinitionError(
            f"tool {name!r}: no description; write a docstring that says what the tool "
            "does and when to use it, or pass description=...",
            tool=name,
        )
    return ArgsSchema(model, context_param, text)


def _describe(doc: docstring_parser.Docstring) -> str:
    parts = [p for p in (doc.short_description, doc.long_description) if p]
    return "\n\n".join(parts).strip()


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_")) or "Tool"


def declared_return_fields(fn: Callable[..., Any]) -> frozenset[str] | None:
    """Field names of a structured return annotation (model, TypedDict, dataclass)."""
    try:
        annotation = get_type_hints(fn).get("return")
    except Exception:
        return None
    if annotation is None:
        return None
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return frozenset(field.alias or fname for fname, field in annotation.model_fields.items())
    if is_typeddict(annotation):
        return frozenset(annotation.__annotations__)
    if isinstance(annotation, type) and is_dataclass(annotation):
        return frozenset(f.name for f in dataclass_fields(annotation))
    return None
