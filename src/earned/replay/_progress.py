"""A Rich progress bar for shadow sessions and batch replays (on stderr: `--json` stays clean)."""

from __future__ import annotations

from typing import Protocol

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

__all__ = ["ProgressBar", "ProgressReporter"]


class ProgressReporter(Protocol):
    """What a shadow session or batch replay reports as it goes."""

    def start(self, description: str, *, total: int) -> None:
        """Work on `total` items begins."""
        ...

    def advance(self, flagged: bool) -> None:
        """One more item is done (`flagged`: a disagreement or a divergence)."""
        ...

    def stop(self) -> None:
        """The work ended."""
        ...


class ProgressBar:
    """Items done of total, how many were flagged (`what`), time elapsed and left."""

    def __init__(self, console: Console | None = None, *, what: str = "disagreeing") -> None:
        self._console = console or Console(stderr=True)
        self._what = what
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._flagged = 0

    def start(self, description: str, *, total: int) -> None:
        """Open the bar."""
        self._flagged = 0
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn(f"{{task.fields[flagged]}} {self._what}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        self._progress.start()
        self._task = self._progress.add_task(description, total=total, flagged=0)

    def advance(self, flagged: bool) -> None:
        """One more item done."""
        if self._progress is None or self._task is None:
            return
        self._flagged += int(flagged)
        self._progress.update(self._task, advance=1, flagged=self._flagged)

    def stop(self) -> None:
        """Close the bar."""
        if self._progress is not None:
            self._progress.stop()
        self._progress = None
        self._task = None
