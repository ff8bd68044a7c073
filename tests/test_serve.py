from api.inngest import app
from lib.workflows import all_functions

EXPECTED = {
    "handle-inbound-message",
    "request-approval",
    "notify-rejection",
    "execute-approved-action",
    "process-refund",
    "record-human-reply",
    "purge-old-texts",
}


def test_serve_endpoint_answers_inspection() -> None:
    res = app.test_client().get("/api/inngest")
    assert res.status_code == 200
    body = res.json
    assert body["mode"] == "dev"
    assert body["function_count"] == len(all_functions()) == len(EXPECTED)


def test_every_workflow_is_served_once_with_its_trigger() -> None:
    configs = [fn.get_config("http://localhost:3000/api/inngest").main for fn in all_functions()]
    ids = [c.id.removeprefix("support-workflows-") for c in configs]
    assert sorted(ids) == sorted(EXPECTED)
    triggers = {c.id.removeprefix("support-workflows-"): [getattr(t, "event", None) for t in c.triggers] for c in configs}
    assert triggers["handle-inbound-message"] == ["front/inbound_received"]
    assert triggers["request-approval"] == ["support/approval.requested"]
    assert triggers["execute-approved-action"] == ["action/approved"]
    assert triggers["record-human-reply"] == ["front/outbound_sent"]
    assert [t.cron for t in next(c for c in configs if c.id.endswith("purge-old-texts")).triggers] == ["TZ=UTC 17 3 * * *"]


def test_a_call_that_imported_modules_freezes_what_it_loaded_and_other_calls_do_not() -> None:
    """`lib.inngest.serve._freeze_imports`: full collections must not walk what the lazy imports loaded."""
    import gc
    import sys
    import types

    client = app.test_client()
    client.get("/api/inngest")
    frozen = gc.get_freeze_count()
    client.get("/api/inngest")  # imports nothing new
    assert gc.get_freeze_count() == frozen

    sys.modules["tests._freeze_probe"] = types.ModuleType("tests._freeze_probe")  # as a step's first import would
    kept = [[n] for n in range(1000)]  # lists are always tracked by the collector
    try:
        client.get("/api/inngest")
        assert gc.get_freeze_count() >= frozen + len(kept)
    finally:
        del sys.modules["tests._freeze_probe"]
        gc.unfreeze()  # give the test process its collector back
    assert kept and gc.get_freeze_count() == 0
