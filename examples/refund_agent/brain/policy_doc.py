"""The policy document (`policy.md`) as data: numbered sections with ids and a version.

Section `X.Y` is cited as `refund_policy.section_X.Y@VERSION`. A chapter marked
`Status: draft` is a proposal: its sections are parsed but never returned as approved text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from earned.errors import UserError

__all__ = ["POLICY_PATH", "PolicyDocument", "Section", "section_id"]

POLICY_PATH = Path(__file__).resolve().parent.parent / "policy.md"
_FRONT = re.compile(r"\A---\n(?P<body>.*?)\n---\n", re.S)
_CHAPTER = re.compile(r"^## (?P<num>\d+)\. (?P<title>.+)$")
_SECTION = re.compile(r"^### (?P<num>\d+\.\d+) (?P<title>.+)$")
_CITATION = re.compile(r"^refund_policy\.section_(?P<num>\d+\.\d+)(?:@(?P<version>[\w.-]+))?$")


def section_id(number: str) -> str:
    """`3.2` -> `refund_policy.section_3.2`."""
    return f"refund_policy.section_{number}"


@dataclass(frozen=True, kw_only=True)
class Section:
    """One numbered section."""

    number: str
    title: str
    text: str
    chapter: str
    approved: bool

    @property
    def id(self) -> str:
        """`refund_policy.section_3.2`."""
        return section_id(self.number)


@dataclass(frozen=True, kw_only=True)
class PolicyDocument:
    """The parsed policy: its version and its sections in document order."""

    version: str
    sections: tuple[Section, ...]

    @classmethod
    def load(cls, path: Path = POLICY_PATH) -> PolicyDocument:
        """Parse the policy file; a malformed file is a UserError naming the line."""
        return cls.parse(path.read_text(encoding="utf-8"), source=str(path))

    @classmethod
    def parse(cls, text: str, *, source: str = "policy.md") -> PolicyDocument:
        """Parse policy text (front matter with `version:`, `##` chapters, `###` sections)."""
        front = _FRONT.match(text)
        meta = dict(
            line.split(":", 1) for line in (front.group("body").splitlines() if front else [])
        )
        version = meta.get("version", "").strip()
        if not version:
            raise UserError(
                f"{source}: no `version:` in the front matter; start the file with "
                "---\\nversion: YYYY-MM-DD\\n---",
                path=source,
            )
        sections: list[Section] = []
        chapter, draft = "", False
        current: dict[str, str] | None = None
        body: list[str] = []

        def close() -> None:
            if current is not None:
                sections.append(
                    Section(
                        number=current["num"],
                        title=current["title"],
                        text=" ".join(" ".join(body).split()),
                        chapter=chapter,
                        approved=not draft,
                    )
                )

        for line in text[front.end() if front else 0 :].splitlines():
            if m := _CHAPTER.match(line):
                close()
                current, body, chapter, draft = None, [], m.group("title"), False
            elif m := _SECTION.match(line):
                close()
                current, body = {"num": m.group("num"), "title": m.group("title")}, []
            elif line.strip().lower() == "status: draft":
                draft = True
            elif current is not None:
                body.append(line)
        close()
        return cls(version=version, sections=tuple(sections))

    @property
    def approved(self) -> tuple[Section, ...]:
        """The sections in force (drafts left out)."""
        return tuple(s for s in self.sections if s.approved)

    def section(self, number: str) -> Section | None:
        """The section numbered `number` (approved or not), or None."""
        return next((s for s in self.sections if s.number == number), None)

    def citation(self, number: str) -> str:
        """`refund_policy.section_X.Y@VERSION`."""
        return f"{section_id(number)}@{self.version}"

    def resolve(self, citation: str) -> Section | None:
        """The approved section a citation (or bare id, or number) names, at this version."""
        text = citation.strip()
        m = _CITATION.match(text)
        number = m.group("num") if m else text
        if m and m.group("version") not in (None, self.version):
            return None
        found = self.section(number)
        return found if found is not None and found.approved else None
