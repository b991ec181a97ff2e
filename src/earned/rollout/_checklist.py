"""The release checklist as data: seed 000's and seed 004's items, plus a team's own.

The shipped `release_checklist.yaml` holds both seeds' items. A team's file (a
`release.yaml` next to the matrix, or any file given to `load_checklist`) has the same
shape: an item with a new id is added, an item with a known id replaces the shipped one
(to change its params, or its check). Nothing is removed: a shipped item can be tightened
or replaced, never silently dropped.

```yaml
version: 1
items:
  - id: legal_signoff
    text: Legal reviewed the customer-facing wording.
    source: team
    kind: attestation          # a person attests: who, when, a note
    max_age_days: 30
  - id: trace_coverage         # replaces the shipped item: look at more runs
    text: Trace logging covers every model call and tool call.
    source: seed 000
    kind: automated
    check: check_trace_coverage
    params: {runs: 200}
```
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from importlib import resources
from pathlib import Path
from typing import Any, Literal, cast

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from earned._yaml import LineDoc
from earned.errors import UserError

__all__ = [
    "CHECKLIST_FILE",
    "Checklist",
    "ChecklistError",
    "ChecklistItem",
    "ItemKind",
    "default_checklist",
    "load_checklist",
]

#: The checklist file format this earned reads. Version 1: the first format.
SCHEMA_VERSION = 1
#: A team's checklist file, read from the matrix's folder when it exists.
CHECKLIST_FILE = "release.yaml"

ItemKind = Literal["automated", "attestation"]


class ChecklistError(UserError):
    """A checklist file or item that cannot be used; `details` has `path`, `line`, `fix`."""

    def headline(self) -> str:
        """`path:line: message`."""
        where, line = self.details.get("path") or "<checklist>", self.details.get("line")
        return f"{where}:{line}: {self.message}" if line else f"{where}: {self.message}"


class ChecklistItem(BaseModel):
    """One item: what it asks, where it comes from, and how it is checked."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    text: str = Field(min_length=1)
    source: str = Field(min_length=1)
    kind: ItemKind
    check: str | None = None
    params: dict[str, Any] = Field(default_factory=dict)
    max_age_days: float | None = Field(default=None, gt=0)
    origin: str | None = Field(default=None, exclude=True)

    @model_validator(mode="after")
    def _shape(self) -> ChecklistItem:
        if self.kind == "automated" and not self.check:
            raise ValueError("an automated item names its `check` (a built-in or MODULE:FUNC)")
        if self.kind == "attestation" and (self.check or self.params):
            raise ValueError("an attestation item has no `check` or `params`: a person attests")
        return self

    @property
    def base_dir(self) -> Path | None:
        """The folder of the file that declared the item (custom checks import from it)."""
        return Path(self.origin).parent if self.origin else None


class Checklist:
    """Items in order: the shipped ones first (replaced in place), then a team's additions."""

    def __init__(self, items: Iterable[ChecklistItem], sources: Sequence[str] = ()) -> None:
        self.items: dict[str, ChecklistItem] = {}
        for item in items:
            self.items[item.id] = item
        self.sources = tuple(sources)

    def __iter__(self) -> Iterator[ChecklistItem]:
        return iter(self.items.values())

    def __len__(self) -> int:
        return len(self.items)

    def get(self, item_id: str) -> ChecklistItem:
        """The item, or a ChecklistError naming the known ones."""
        try:
            return self.items[item_id]
        except KeyError:
            raise ChecklistError(
                f"no checklist item {item_id!r}; known: {', '.join(self.items)}",
                item=item_id,
                fix="use one of the ids `earned release check --json` lists",
            ) from None

    def merged(self, other: Checklist) -> Checklist:
        """This checklist with `other`'s items added, or replacing items of the same id."""
        items = dict(self.items)
        items.update(other.items)
        return Checklist(items.values(), [*self.sources, *other.sources])


def default_checklist() -> Checklist:
    """The shipped checklist: seed 000's release review and seed 004's readiness items."""
    text = resources.files("earned.rollout").joinpath("release_checklist.yaml").read_text("utf-8")
    return parse_checklist(text, source="earned/rollout/release_checklist.yaml", origin=None)


def load_checklist(*paths: str | Path, base: Checklist | None = None) -> Checklist:
    """The shipped checklist (or `base`) with each file's items added or replacing."""
    checklist = base or default_checklist()
    for path in paths:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            raise ChecklistError(
                f"cannot read the checklist file: {exc.strerror}",
                path=str(file),
                fix="check the path (relative to the current directory)",
            ) from None
        checklist = checklist.merged(parse_checklist(text, source=str(file), origin=str(file)))
    return checklist


def parse_checklist(text: str, *, source: str, origin: str | None) -> Checklist:
    """Items from YAML text; every mistake names its line and the fix."""
    doc = LineDoc(text, source, error=ChecklistError)
    data = doc.data
    if not isinstance(data, dict):
        raise doc.fail((), "a checklist file is a mapping with `items:`", _EXAMPLE)
    data = cast(dict[str, Any], data)
    doc.check_keys((), data, {"version", "items"}, "top-level keys")
    version = data.get("version", SCHEMA_VERSION)
    if not isinstance(version, int) or not 1 <= version <= SCHEMA_VERSION:
        raise doc.fail(
            ("version",),
            f"unsupported checklist format version {version!r}",
            f"write `version: {SCHEMA_VERSION}` (or upgrade earned)",
        )
    raw = data.get("items")
    if not isinstance(raw, list) or not raw:
        raise doc.fail(("items",), "`items` must be a non-empty list", _EXAMPLE)
    items: list[ChecklistItem] = []
    seen: set[str] = set()
    for i, entry in enumerate(cast(list[Any], raw)):
        item = _item(doc, ("items", i), entry, origin)
        if item.id in seen:
            raise doc.fail(("items", i, "id"), f"item {item.id!r} is listed twice", "keep one")
        seen.add(item.id)
        items.append(item)
    return Checklist(items, [source])


def _item(
    doc: LineDoc, path: tuple[str | int, ...], entry: Any, origin: str | None
) -> ChecklistItem:
    if not isinstance(entry, dict):
        raise doc.fail(path, "each item must be a mapping", _EXAMPLE)
    entry = cast(dict[str, Any], entry)
    allowed = [k for k in ChecklistItem.model_fields if k != "origin"]
    doc.check_keys(path, entry, allowed, "item keys")
    try:
        return ChecklistItem.model_validate({**entry, "origin": origin})
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = [str(p) for p in first["loc"]]
        raise doc.fail(
            (*path, *loc),
            f"item {entry.get('id', '?')!r}: {'.'.join(loc) or 'item'}: {first['msg']}",
            "see docs/release.md for an item's keys",
        ) from None


_EXAMPLE = (
    "write e.g.\n  version: 1\n  items:\n    - id: legal_signoff\n"
    "      text: Legal reviewed the customer-facing wording.\n      source: team\n"
    "      kind: attestation"
)
