import pytest

from lib import config


def test_missing_required_setting_names_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FRONT_API_TOKEN", raising=False)
    with pytest.raises(config.MissingSetting, match="FRONT_API_TOKEN is not set: needed to call Front"):
        config.require("FRONT_API_TOKEN", "needed to call Front")


def test_settings_are_read_at_use_not_import(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONT_API_TOKEN", "first")
    assert config.require("FRONT_API_TOKEN", "x") == "first"
    monkeypatch.setenv("FRONT_API_TOKEN", "second")
    assert config.require("FRONT_API_TOKEN", "x") == "second"


def test_blank_counts_as_unset_and_defaults_apply(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FRONT_API_BASE_URL", "   ")
    assert config.env("FRONT_API_BASE_URL") == "https://api2.frontapp.com"


def test_database_url_defaults_to_embedded_sqlite(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DATABASE_URL", raising=False)
    assert config.database_url() == f"sqlite:///{config.ROOT / '.data' / 'support.db'}"
    monkeypatch.setenv("DATABASE_URL", "mysql+pymysql://u:p@db/x")
    assert config.database_url() == "mysql+pymysql://u:p@db/x"


def test_int_setting_with_garbage_says_which(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MAX_WEBHOOK_BYTES", "lots")
    with pytest.raises(ValueError, match="MAX_WEBHOOK_BYTES must be an integer"):
        config.env_int("MAX_WEBHOOK_BYTES")


@pytest.mark.parametrize(
    ("environ", "production", "branch"),
    [
        ({}, False, None),
        ({"VERCEL_ENV": "production", "VERCEL_GIT_COMMIT_REF": "main"}, True, None),
        ({"VERCEL_ENV": "preview", "VERCEL_GIT_COMMIT_REF": "feature/x"}, True, "feature/x"),
        ({"VERCEL_ENV": "preview", "VERCEL_GIT_COMMIT_REF": "b", "INNGEST_ENV": "explicit"}, True, "explicit"),
        ({"VERCEL_ENV": "production", "INNGEST_DEV": "1"}, False, None),
        ({"INNGEST_DEV": "http://127.0.0.1:8288"}, False, None),
    ],
)
def test_inngest_mode_and_branch_environment(
    monkeypatch: pytest.MonkeyPatch, environ: dict[str, str], production: bool, branch: str | None
) -> None:
    for name in ("VERCEL_ENV", "VERCEL_GIT_COMMIT_REF", "INNGEST_ENV", "INNGEST_DEV"):
        monkeypatch.delenv(name, raising=False)
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    assert config.inngest_is_production() is production
    assert config.inngest_env() == branch


def test_sync_url_prefers_vercel_deployment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VERCEL_URL", raising=False)
    monkeypatch.delenv("INNGEST_SYNC_URL", raising=False)
    assert config.sync_url() == "http://localhost:3000/api/inngest"
    monkeypatch.setenv("INNGEST_SYNC_URL", "http://127.0.0.1:9999/api/inngest")
    assert config.sync_url() == "http://127.0.0.1:9999/api/inngest"
    monkeypatch.setenv("VERCEL_URL", "my-app-git-x.vercel.app")
    assert config.sync_url() == "https://my-app-git-x.vercel.app/api/inngest"


def test_readme_documents_every_variable() -> None:
    readme = (config.ROOT / "README.md").read_text()
    missing = [v.name for v in config.VARIABLES if f"`{v.name}`" not in readme]
    assert missing == []
