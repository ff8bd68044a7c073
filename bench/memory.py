"""Memory: peak RSS of the serve function process after 200 workflow runs, against after 1.

The serve function (`api/inngest.py`, in `bench.serve_proc` without request
recording) handles whole `handle-inbound-message` runs (gather-context,
agent-reasoning with the OpenAI SDK, create-draft, the final call: four requests
each) for one conversation after another, with the fakes answering at once.
The first run pays for the lazy imports (inngest, SQLAlchemy, openai...), so
"after 1 run" is the warm baseline; growth beyond it is what 199 more runs kept.
"""

from __future__ import annotations

import sys
from typing import Any

from bench.report import Row
from bench.scene import Delays, Scene
from bench.workspace import Workspace

TARGET = 1.10


def run(ws: Workspace, *, runs: int = 200) -> tuple[list[Row], dict[str, Any]]:
    samples: list[dict[str, Any]] = []
    with Scene(ws, "memory", Delays(front=0.0, product=0.0, openai=0.0), record_serve=False) as scene:
        before = scene.serve_memory_kb()
        for n in range(runs):
            scene.customer_writes(f"cnv_{n}", f"evt_{n}")
            scene.wait_for_drafts(n + 1)
            scene.wait_until_idle()
            if n == 0 or (n + 1) % 25 == 0:
                samples.append({"runs": n + 1, **scene.serve_memory_kb()})
            if (n + 1) % 50 == 0:
                print(f"  memory: {n + 1}/{runs} runs", file=sys.stderr, flush=True)
        completed = len([r for r in scene.runs() if r["status"] == "Completed"])
    first, last = samples[0], samples[-1]
    rows = [
        Row("memory", f"serve fn peak RSS after {runs} runs vs after 1", last["VmHWM"] / 1024, first["VmHWM"] / 1024, "MB",
            target=f"<= {TARGET:.2f}x", passed=last["VmHWM"] / first["VmHWM"] <= TARGET),
    ]
    details = {"runs": runs, "completed_runs": completed, "before_any_run_kb": before, "samples_kb": samples}
    return rows, details
