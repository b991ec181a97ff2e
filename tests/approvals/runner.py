"""Run the approval test agent in its own process: `python -m tests.approvals.runner MODE URL ID`.

Modes: `run` starts the run and waits for its result; `start` starts it, waits until it asks
for approval, and exits (the run stays pending in the database); `resume` launches an engine
(which recovers pending runs) and waits for the run's result. Prints the result as JSON.
"""

from __future__ import annotations

import asyncio
import json
import sys

from earned.approvals import ApprovalSettings
from earned.runtime import Engine, Principal
from tests.approvals.refund_agent import AGENT

SETTINGS = ApprovalSettings(timeout=120, poll_interval=0.5)


async def main(mode: str, url: str, run_id: str) -> None:
    async with Engine([AGENT], database_url=url, approval_settings=SETTINGS) as engine:
        if mode == "resume":
            result = await engine.result(run_id)
            print(json.dumps(result.model_dump(mode="json")))
            return
        handle = await engine.start(
            AGENT, {"order_id": "ord_9"}, run_id=run_id, stage="approval_required",
            principal=Principal(user="alice", tenant="acme"),
        )  # fmt: skip
        if mode == "run":
            print(json.dumps((await handle.result()).model_dump(mode="json")))
            return
        for _ in range(400):
            if engine.approvals.list(run_id=run_id):
                print(json.dumps({"waiting": engine.approvals.list(run_id=run_id)[0].approval_id}))
                return
            await asyncio.sleep(0.025)
        raise SystemExit("the run never asked for approval")


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1], sys.argv[2], sys.argv[3]))
