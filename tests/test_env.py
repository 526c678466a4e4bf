"""Settings are read the way Langflow reads them (docs/langflow/settings.md §1-§9, docs/langflow/settings.md §9)."""

from __future__ import annotations

from pathlib import Path

import pytest

from lfadmin import redact
from lfadmin.errors import DatabaseUnavailable, InvalidInput
from lfadmin.langflow.env import Environment, parse_bool
from lfadmin.langflow.settings import LangflowSettings, ReleaseSettings
from lfadmin.langflow.settings.fields import ABSENT


def write(tmp_path: Path, text: str, name: str = ".env") -> Path:
    p = tmp_path / name
    p.write_text(text)
    return p


@pytest.mark.parametrize("raw", ["1", "true", "TRUE", "t", "yes", "Y", "on"])
def test_true_tokens(raw: str) -> None:
    assert parse_bool(raw) is True


@pytest.mark.parametrize("raw", ["0", "false", "False", "f", "no", "n", "OFF"])
def test_false_tokens(raw: str) -> None:
    assert parse_bool(raw) is False


@pytest.mark.parametrize("raw", ["", " true", "true ", "enabled", "2"])
def test_langflow_refuses_these_booleans(raw: str) -> None:
    assert parse_bool(raw) is None


def test_file_overrides_environment_and_names_are_case_insensitive(tmp_path: Path) -> None:
    env_file = write(tmp_path, "# comment\nlangflow_auto_login=false\nexport LANGFLOW_SUPERUSER=admin\n")
    env = Environment.load(env_file, {"LANGFLOW_AUTO_LOGIN": "true", "LANGFLOW_PORT": "1"})
    assert env.boolean("AUTO_LOGIN", True) is False
    val = env.setting("SUPERUSER")
    assert val is not None and val.raw == "admin" and str(val.origin) == f"{env_file}:3"
    port = env.setting("PORT")
    assert port is not None and str(port.origin) == "environment"


def test_interpolation_sees_file_values_first(tmp_path: Path) -> None:
    env_file = write(tmp_path, "BASE=/srv/lf\nLANGFLOW_CONFIG_DIR=${BASE}/cfg\nX=${HOME_X:-dflt}\n")
    env = Environment.load(env_file, {"BASE": "/wrong"})
    assert env.text("CONFIG_DIR") == "/srv/lf/cfg"
    assert env.exact("X") is not None and env.exact("X").raw == "dflt"  # type: ignore[union-attr]


def test_key_without_equals_sets_nothing(tmp_path: Path) -> None:
    env = Environment.load(write(tmp_path, "LANGFLOW_AUTO_LOGIN\n"), {})
    assert env.setting("AUTO_LOGIN") is None


def test_database_url_is_exact_case(tmp_path: Path) -> None:
    env = Environment.load(None, {"langflow_database_url": "sqlite:////x.db"})
    assert env.exact("LANGFLOW_DATABASE_URL") is None


def test_bad_boolean_names_variable_and_line(tmp_path: Path) -> None:
    env_file = write(tmp_path, "\nLANGFLOW_AUTO_LOGIN=maybe\n")
    env = Environment.load(env_file, {})
    with pytest.raises(InvalidInput) as exc:
        env.boolean("AUTO_LOGIN", True)
    assert str(exc.value) == (
        f"LANGFLOW_AUTO_LOGIN ({env_file}:2): 'maybe' is not a boolean Langflow accepts "
        "(use true/false, 1/0, yes/no, on/off); Langflow would refuse to start"
    )


def test_unparsable_line_is_refused_with_its_line(tmp_path: Path) -> None:
    env_file = write(tmp_path, "A=1\nthis is not an assignment\n")
    with pytest.raises(InvalidInput) as exc:
        Environment.load(env_file, {})
    assert str(exc.value) == f"{env_file}:2: cannot parse this line (not shown, it may hold a secret; check its quotes)"


@pytest.mark.parametrize(
    ("setup", "message"),
    [
        (lambda p: None, "env file {p} does not exist"),
        (lambda p: p.mkdir(), "env file {p} is a directory"),
        (lambda p: p.write_bytes(b"\xff\xfe\x00binary"), "env file {p} is not UTF-8 text"),
        (lambda p: p.write_bytes(b"A=1\x00\n"), "env file {p} is binary, not an env file"),
    ],
)
def test_unreadable_env_files(tmp_path: Path, setup, message: str) -> None:  # type: ignore[no-untyped-def]
    p = tmp_path / "x.env"
    setup(p)
    with pytest.raises(InvalidInput) as exc:
        Environment.load(p, {})
    assert str(exc.value) == message.format(p=p)


def test_config_dir_default_is_platformdirs_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    settings = LangflowSettings(Environment.load(None, {}))
    assert settings.config_dir == tmp_path / "xdg" / "langflow"


def test_secret_key_env_wins_then_file_verbatim(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "secret_key").write_text("from-file\n")
    s = LangflowSettings(Environment.load(None, {"LANGFLOW_CONFIG_DIR": str(cfg)}))
    key = s.secret_key()
    assert key is not None and key.value == "from-file\n" and key.source == str(cfg / "secret_key")
    s2 = LangflowSettings(Environment.load(None, {"LANGFLOW_CONFIG_DIR": str(cfg), "LANGFLOW_SECRET_KEY": "k"}))
    key2 = s2.secret_key()
    assert key2 is not None and key2.value == "k" and key2.source == "LANGFLOW_SECRET_KEY (environment)"


def test_no_secret_key_is_none_and_nothing_written(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    s = LangflowSettings(Environment.load(None, {"LANGFLOW_CONFIG_DIR": str(cfg)}))
    assert s.secret_key() is None
    assert not cfg.exists()  # lfadmin never creates Langflow's config dir


def test_database_url_precedence(tmp_path: Path) -> None:
    env = Environment.load(None, {"LANGFLOW_DATABASE_URL": "sqlite:////env.db"})
    assert LangflowSettings(env, "sqlite:////opt.db").database_url() == ("sqlite:////opt.db", "--database-url")
    assert LangflowSettings(env).database_url() == (
        "sqlite:////env.db",
        "LANGFLOW_DATABASE_URL (environment)",
    )


def test_save_db_in_config_dir(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    cfg.mkdir()
    (cfg / "langflow.db").write_bytes(b"")
    env = Environment.load(None, {"LANGFLOW_CONFIG_DIR": str(cfg), "LANGFLOW_SAVE_DB_IN_CONFIG_DIR": "true"})
    url, source = LangflowSettings(env).database_url()
    assert url == f"sqlite:///{cfg / 'langflow.db'}"
    assert source == f"Langflow's default location {cfg / 'langflow.db'}"


def test_nothing_found_lists_where_it_looked(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg"
    env = Environment.load(None, {"LANGFLOW_CONFIG_DIR": str(cfg), "LANGFLOW_SAVE_DB_IN_CONFIG_DIR": "1"})
    with pytest.raises(DatabaseUnavailable) as exc:
        LangflowSettings(env).database_url()
    assert str(exc.value) == (
        f"no Langflow database found: LANGFLOW_DATABASE_URL is not set and looked in {cfg / 'langflow.db'} "
        "(pass --database-url URL, set LANGFLOW_DATABASE_URL, or --env-file the server's .env)"
    )


def test_configured_database_url_and_its_sqlite_file() -> None:
    """--database-url, else LANGFLOW_DATABASE_URL in exact case (Langflow's os.getenv); the
    SQLite file it names is read without SQLAlchemy."""
    env = Environment.load(None, {"langflow_database_url": "sqlite:////lower.db"})
    assert LangflowSettings(env).configured_database_url() is None
    assert LangflowSettings(env).configured_sqlite_file() is None
    env = Environment.load(None, {"LANGFLOW_DATABASE_URL": "sqlite+aiosqlite:///rel/lf.db?mode=ro"})
    assert LangflowSettings(env).configured_sqlite_file() == Path("rel/lf.db")
    assert LangflowSettings(env, "postgresql://u:pw@h/db").configured_database_url() == (
        "postgresql://u:pw@h/db",
        "--database-url",
    )
    assert LangflowSettings(env, "postgresql://u:pw@h/db").configured_sqlite_file() is None
    for url in ("sqlite:///:memory:", "sqlite://", "SQLITE:////x.db"):
        assert LangflowSettings(env, url).configured_sqlite_file() is None


@pytest.mark.parametrize(("version", "auto_login"), [((1, 6, 9), True), ((1, 12, 8), True), ((1, 13, 0), False)])
def test_release_settings_use_the_release_defaults(version: tuple[int, int, int], auto_login: bool) -> None:
    settings = ReleaseSettings(LangflowSettings(Environment.load(None, {})), version, "x")
    assert settings.auto_login() is auto_login
    assert settings.get("AUTO_LOGIN").is_default
    assert settings.exists("API_KEY_SOURCE") is (version >= (1, 10, 0))


def test_release_settings_parse_like_langflow_run() -> None:
    """Any case, then run's second pass (an unprefixed AuthSettings name, the last one wins);
    a refused value is recorded and the default used."""
    redact.reset()  # a secret an earlier in-process run registered may contain "x" and hide it
    env = Environment.load(
        None, {"langflow_auto_login": "false", "AUTO_LOGIN": "on", "LANGFLOW_PORT": "x", "LANGFLOW_DEV": "enabled"}
    )
    settings = ReleaseSettings(LangflowSettings(env), (1, 13, 0), "1.13.0")
    auto = settings.get("AUTO_LOGIN")
    assert auto.value is True and auto.variable == "AUTO_LOGIN"
    assert settings.value("PORT") == 7860 and settings.value("DEV") is False
    assert [(s.field, s.shown()) for s in settings.refused] == [("PORT", "x"), ("DEV", "enabled")]
    assert [v.name for v in settings.unprefixed()] == ["AUTO_LOGIN"]


def test_settings_value_reads_the_one_table_per_release() -> None:
    """The defaults core uses (new users inactive, the superuser CLI on, keys from the database,
    usage tracked) are the table's, checked against every release's lfx/langflow settings."""
    settings = LangflowSettings(Environment.load(None, {}))
    for version in [(1, 6, 9), (1, 7, 1), (1, 9, 6), (1, 11, 1), (1, 12, 8), (1, 13, 0)]:
        assert settings.value("NEW_USER_IS_ACTIVE", version) is False
        assert settings.value("ENABLE_SUPERUSER_CLI", version) is True
        assert settings.value("DISABLE_TRACK_APIKEY_USAGE", version) is False
        assert settings.value("API_KEY_SOURCE", version) == ("db" if version >= (1, 7, 0) else ABSENT)
    set_ = LangflowSettings(Environment.load(None, {"langflow_new_user_is_active": "on", "LANGFLOW_API_KEY_SOURCE": "env"}))
    assert set_.value("NEW_USER_IS_ACTIVE", (1, 13, 0)) is True and set_.value("API_KEY_SOURCE", (1, 9, 6)) == "env"
    with pytest.raises(InvalidInput, match="'maybe' is not a boolean Langflow accepts"):
        LangflowSettings(Environment.load(None, {"LANGFLOW_NEW_USER_IS_ACTIVE": "maybe"})).value(
            "NEW_USER_IS_ACTIVE", (1, 6, 9)
        )
