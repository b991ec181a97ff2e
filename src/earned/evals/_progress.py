"""A Rich progress bar for the eval runner (on stderr, so `--json` output stays clean)."""

from __future__ import annotations

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

__all__ = ["RichProgress"]


class RichProgress:
    """Shows one bar per eval run: cases done of total, failures so far, time left."""

    def __init__(self, console: Console | None = None) -> None:
        self._console = console or Console(stderr=True)
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        self._failed = 0

    def start(self, description: str, *, total: int, done: int) -> None:
        """Open a bar for an eval run (`done` cases were stored by an earlier attempt)."""
        self._failed = 0
        self._progress = Progress(
            TextColumn("[bold]{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[failed]} failing"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=self._console,
            transient=False,
        )
        self._progress.start()
        resumed = f" (resumed: {done} stored)" if done else ""
        self._task = self._progress.add_task(
            description + resumed, total=total, completed=done, failed=0
        )

    def advance(self, passed: bool) -> None:
        """One more case finished."""
        if self._progress is None or self._task is None:
            return
        if not passed:
            self._failed += 1
        self._progress.update(self._task, advance=1, failed=self._failed)

    def stop(self) -> None:
        """Close the bar."""
        if self._progress is not None:
            self._progress.stop()
        self._progress = None
        self._task = None
