"""Registry lookups, the inbox cache, and the update helpers the CLI uses."""

from __future__ import annotations

import pytest

from lib.apps import registry


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    registry.clear_cache()


def test_lookup_by_inbox_and_slug(database_url: str) -> None:
    created = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1", integration_url="https://acme.example/s")
    found = registry.find_app_by_inbox("inb_1")
    assert found == created and found.integration_secret.startswith("whsec_")
    assert "integration_secret" not in found.public()
    assert registry.get_app("acme").id == created.id
    assert registry.find_app_by_inbox("inb_other") is None
    with pytest.raises(registry.UnknownApp):
        registry.get_app("nope")


def test_the_workflows_app_is_the_record_without_its_secret(database_url: str) -> None:
    """`AppInfo` (steps, the agent) and `AppRecord` (the registry) share one definition of an app's settings."""
    record = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1", auto_send=True, auto_send_delay_seconds=60)

    info = registry.AppInfo.model_validate(record.public())

    assert set(registry.AppRecord.model_fields) - set(registry.AppInfo.model_fields) == {"integration_secret"}
    assert info.model_dump() == record.public() and info.auto_send and info.trust_threshold == record.trust_threshold
    lenient = registry.AppInfo(slug="acme")  # what gather-context falls back to without the registry
    assert (lenient.id, lenient.auto_send, lenient.approval_policy) == (None, False, {})


def test_inbox_cache_serves_hits_and_misses_until_cleared(database_url: str) -> None:
    from sqlalchemy import update

    from lib.db import get_db
    from lib.db.models import App

    assert registry.find_app_by_inbox("inb_1") is None
    registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")  # create clears the cache
    assert registry.find_app_by_inbox("inb_1") is not None
    with get_db().session() as session:  # a change behind the registry's back
        session.execute(update(App).values(name="Renamed"))
    assert registry.find_app_by_inbox("inb_1").name == "Acme"  # type: ignore[union-attr]
    registry.clear_cache()
    assert registry.find_app_by_inbox("inb_1").name == "Renamed"  # type: ignore[union-attr]


def test_cache_expires(database_url: str, monkeypatch: pytest.MonkeyPatch) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    assert registry.find_app_by_inbox("inb_1") is not None
    monkeypatch.setattr(registry, "CACHE_TTL_SECONDS", 0.0)
    from sqlalchemy import delete

    from lib.db import get_db
    from lib.db.models import App

    with get_db().session() as session:
        session.execute(delete(App))
    assert registry.find_app_by_inbox("inb_1") is None


def test_update_and_rotate_clear_the_cache(database_url: str) -> None:
    created = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    assert registry.find_app_by_inbox("inb_1") is not None
    updated = registry.update_app("acme", auto_send=True, approval_policy={"max_refund_cents": 100})
    assert registry.find_app_by_inbox("inb_1") == updated and updated.auto_send is True
    rotated = registry.rotate_secret("acme")
    assert rotated.integration_secret != created.integration_secret
    assert registry.find_app_by_inbox("inb_1").integration_secret == rotated.integration_secret  # type: ignore[union-attr]
    with pytest.raises(ValueError, match="cannot update"):
        registry.update_app("acme", integration_secret="x")
    with pytest.raises(registry.UnknownApp):
        registry.update_app("nope", name="x")


def test_duplicates_raise_duplicate_app(database_url: str) -> None:
    registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    registry.create_app(slug="other", name="Other", front_inbox_id="inb_2")
    with pytest.raises(registry.DuplicateApp):
        registry.create_app(slug="acme", name="Again", front_inbox_id="inb_3")
    with pytest.raises(registry.DuplicateApp):
        registry.update_app("other", front_inbox_id="inb_1")
    assert [(a.slug, a.front_inbox_id) for a in registry.list_apps()] == [("acme", "inb_1"), ("other", "inb_2")]


def test_trust_settings_are_validated_on_create_and_update(database_url: str) -> None:
    app = registry.create_app(slug="acme", name="Acme", front_inbox_id="inb_1")
    assert (app.trust_threshold, app.trust_min_samples, app.confidence_floor, app.never_auto_send, app.retention_days) == (
        0.85, 50, 0.9, None, 30)  # the defaults in lib.apps
    updated = registry.update_app("acme", trust_min_samples=10, never_auto_send=["legal"], confidence_floor=0.6)
    assert (updated.trust_min_samples, updated.never_auto_send, updated.confidence_floor) == (10, ["legal"], 0.6)
    for bad in ({"trust_threshold": 1.2}, {"confidence_floor": -0.1}, {"trust_min_samples": 0}, {"retention_days": 0},
                {"never_auto_send": ["legal", "pirates"]}, {"trust_threshold": True}):
        with pytest.raises(ValueError):
            registry.update_app("acme", **bad)
    with pytest.raises(ValueError, match="unknown categor"):
        registry.create_app(slug="b", name="B", front_inbox_id="inb_2", never_auto_send=["nope"])
    assert registry.get_app("acme").trust_min_samples == 10
