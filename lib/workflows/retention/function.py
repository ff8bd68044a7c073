"""`purge-old-texts`: once a day, message texts older than each app's `retention_days` are deleted.

A cron trigger (Inngest's `TriggerCron`; the offline executor runs it too). One step: the
deletes are idempotent, so a retried step simply finds less to delete.
"""

from __future__ import annotations

import inngest

from lib.inngest.client import get_client
from lib.trust.retention import Purged, purge

SCHEDULE = "TZ=UTC 17 3 * * *"  # 03:17 UTC daily: off the hour, when support traffic is low


@get_client().create_function(
    fn_id="purge-old-texts",
    name="Delete message texts past retention",
    trigger=inngest.TriggerCron(cron=SCHEDULE),
    output_type=Purged,
)
def purge_old_texts(ctx: inngest.ContextSync) -> Purged:
    return ctx.step.run("purge", purge, output_type=Purged)


FUNCTIONS = [purge_old_texts]
