"""A chaos worker process: `python -m earned.chaos.worker TARGET DATABASE_URL EXECUTOR_ID`."""

from __future__ import annotations

import asyncio
import sys

from earned.approvals import ApprovalSettings
from earned.chaos._harness import load_target
from earned.runtime import QueueSettings
from earned.runtime._worker import run_worker


def main(target_ref: str, database_url: str, executor_id: str) -> None:
    """Serve the target's agent until SIGTERM (or until killed, which is the point)."""
    target = load_target(target_ref)
    target.prepare(database_url, reset=False)
    asyncio.run(
        run_worker(
            [target.agent],
            database_url=database_url,
            executor_id=executor_id,
            queues=QueueSettings(worker_concurrency=16, polling_interval=0.2),
            approval_settings=ApprovalSettings(timeout=600, poll_interval=1.0),
        )
    )


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2], sys.argv[3])
