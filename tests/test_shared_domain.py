"""The registry, action store and audit log every workflow shares, on SQLite and MariaDB."""

import pytest

from lib import audit
from lib.actions import store
from lib.apps import registry


def test_registry_finds_apps_by_inbox_and_caches(database_url: str) -> None:
    registry.clear_cache()
    assert registry.find_app_by_inbox("inb_1") is None
    app = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1", approval_policy={"refund": {"auto_approve_within_days": 7}})
    assert app.integration_secret.startswith("whsec_") and len(app.integration_secret) > 30
    found = registry.find_app_by_inbox("inb_1")  # create_app cleared the cached miss
    assert found == app and "integration_secret" not in found.public()
    assert registry.get_app("acme").approval_policy == {"refund": {"auto_approve_within_days": 7}}
    with pytest.raises(registry.UnknownApp, match="no app is registered with slug 'nope'"):
        registry.get_app("nope")


def test_actions_are_idempotent_and_transitions_compare_and_set(database_url: str) -> None:
    action_id = store.action_id_for("msg_1")
    assert action_id == store.action_id_for("msg_1") != store.action_id_for("msg_2")
    first = store.create_action(action_id=action_id, conversation_id="cnv_1", app_id=None, type="refund",
                                parameters={"purchaseId": "p1"}, requires_approval=True)
    again = store.create_action(action_id=action_id, conversation_id="cnv_1", app_id=None, type="refund",
                                parameters={"purchaseId": "OTHER"}, requires_approval=True)
    assert again.parameters == {"purchaseId": "p1"} and first.status == store.PROPOSED
    assert store.transition(action_id, from_=[store.PROPOSED], to=store.PENDING_APPROVAL)
    assert not store.transition(action_id, from_=[store.PROPOSED], to=store.PENDING_APPROVAL)  # second caller loses
    assert store.transition(action_id, from_=[store.PENDING_APPROVAL], to=store.APPROVED)
    assert store.get_action(action_id).status == store.APPROVED


def test_audit_log_appends_in_order(database_url: str) -> None:
    audit.record("agent", "action.proposed", action_id="a1", conversation_id="c1", type="refund")
    audit.record("ann@example.com", "action.approved", action_id="a1")
    audit.record("agent", "other", action_id="a2")
    kinds = [e["kind"] for e in audit.entries(action_id="a1")]
    assert kinds == ["action.proposed", "action.approved"]
    assert audit.entries(action_id="a1")[0]["details"] == {"type": "refund"}
