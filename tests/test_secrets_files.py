"""Env-file and key-file writing, key validation: no database needed."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from lfadmin.core import envfile
from lfadmin.core.secrets.key import key_problems, key_warnings, validate_new_key
from lfadmin.errors import InvalidInput, Refused
from lfadmin.langflow import crypto
from tests.support.cli import run
from tests.support.files import mode
from tests.support.secrets_seed import GOOD


def test_set_variable_replaces_in_place_keeping_everything(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# server\nLANGFLOW_AUTO_LOGIN=False\n\nexport LANGFLOW_SECRET_KEY=old # note\nOTHER='x y'\n")
    env.chmod(0o640)
    w = envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)
    assert env.read_text() == (
        f"# server\nLANGFLOW_AUTO_LOGIN=False\n\nexport LANGFLOW_SECRET_KEY={GOOD}\nOTHER='x y'\n"
    )
    assert w.replaced_line == 4
    assert mode(env) == 0o640  # the old file's mode, owner and group (M13)
    assert w.backup is not None and mode(w.backup) == 0o640 and w.backup.parent == env.parent
    assert "LANGFLOW_SECRET_KEY=old" in w.backup.read_text()


def test_set_variable_appends_and_creates(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("A=1")  # no trailing newline
    envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)
    assert env.read_text() == f"A=1\nLANGFLOW_SECRET_KEY={GOOD}\n"
    new = tmp_path / "new.env"
    w = envfile.set_variable(new, "LANGFLOW_SECRET_KEY", GOOD)
    assert new.read_text() == f"LANGFLOW_SECRET_KEY={GOOD}\n" and w.backup is None
    assert mode(new) == 0o600


def test_symlinked_env_file_is_refused_but_read(tmp_path: Path) -> None:
    """Writing through a link is refused, naming it (whoever owns the directory could point it
    anywhere); reading follows it, as the server's load_dotenv does."""
    (tmp_path / "srv").mkdir()
    real = tmp_path / "srv" / "real.env"
    real.write_text("LANGFLOW_SECRET_KEY=old\n")
    link = tmp_path / "srv" / ".env"
    link.symlink_to(real)
    with pytest.raises(Refused, match=f"^env file {link} is a symbolic link; lfadmin does not read or write"):
        envfile.set_variable(link, "LANGFLOW_SECRET_KEY", GOOD, backup=False)
    assert link.is_symlink() and real.read_text() == "LANGFLOW_SECRET_KEY=old\n"
    assert sorted(p.name for p in real.parent.iterdir()) == [".env", "real.env"]
    assert envfile.find_assignments(link)[0].value == "old"


def test_duplicate_assignment_refused_case_insensitively(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    text = "LANGFLOW_SECRET_KEY=a\nlangflow_secret_key=b\n"
    env.write_text(text)
    with pytest.raises(InvalidInput, match=r"more than once \(lines 1, 2\)"):
        envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)
    assert env.read_text() == text


def test_read_only_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("A=1\n")
    env.chmod(0o400)
    with pytest.raises(InvalidInput, match="read-only"):
        envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)
    assert env.read_text() == "A=1\n"


@pytest.mark.skipif(os.geteuid() == 0, reason="root reads any file")
def test_unreadable_env_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("A=1\n")
    env.chmod(0o000)
    with pytest.raises(InvalidInput, match="not readable"):
        envfile.set_variable(env, "LANGFLOW_SECRET_KEY", GOOD)


def test_secret_file_written_like_langflow(tmp_path: Path) -> None:
    cfg = tmp_path / "cfg" / "secret_key"
    envfile.write_secret_file(cfg, GOOD)
    assert cfg.read_bytes() == GOOD.encode() and mode(cfg) == 0o600
    w = envfile.write_secret_file(cfg, "x" * 43)
    assert w.backup is not None and w.backup.read_text() == GOOD and mode(w.backup) == 0o600


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("", "empty"),
        ("short-secret", "at least 32"),
        ("a" * 40, "not urlsafe base64"),
        ("A" * 43 + "=", "not urlsafe base64"),  # 44 chars but decodes to 32 bytes? no: check below
        (GOOD + "\n", "newline"),
        ("pgKYWuLArhDvGnZT wnynNr_fKqvO8DyH-6t2iZQb8eY", "white space"),
        (GOOD, "equals the old one"),
    ],
)
def test_new_key_validation(key: str, message: str) -> None:
    if key == "A" * 43 + "=":
        # 43 base64 chars + one '=' is valid padding for 32 bytes: accepted.
        validate_new_key(key, [GOOD])
        return
    with pytest.raises(InvalidInput, match=message):
        validate_new_key(key, [GOOD])


def test_key_problems() -> None:
    assert key_problems(GOOD) == []
    assert "newline" in key_problems(GOOD + "\n")[0]
    assert "not urlsafe base64" in key_problems("x" * 47)[0]
    assert key_problems("short-secret") == []
    assert "short" in key_warnings("short-secret")[0]


def test_sso_envelope_roundtrip() -> None:
    env = crypto.sso_encrypt(GOOD, "client-secret")
    assert env.startswith("lf-sso:v1:hkdf-sha256-v1:aes-256-gcm:")
    assert crypto.sso_decrypt(GOOD, env) == "client-secret"
    assert crypto.sso_decrypt("other" + GOOD, env) is None
    assert crypto.sso_decrypt(GOOD, env[:-2]) is None


def test_generate_prints_one_key(tmp_path: Path) -> None:
    r = run("secrets", "generate")
    assert r.exit_code == 0, r
    key = r.stdout.strip()
    assert r.stdout == key + "\n" and len(key) == 43
    assert key_problems(key) == []


def test_generate_write_env_and_config_dir(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("# keep\nA=1\n")
    cfg = tmp_path / "cfg"
    r = run("secrets", "generate", "--write-env", str(env), "--write-config-dir",
            env={"LANGFLOW_CONFIG_DIR": str(cfg)})
    assert r.exit_code == 0, r
    assert r.stdout == ""  # the key went to the files only
    written = envfile.find_assignments(env)
    assert len(written) == 1 and env.read_text().startswith("# keep\nA=1\nLANGFLOW_SECRET_KEY=")
    assert (cfg / "secret_key").read_text() == written[0].value
    assert mode(cfg / "secret_key") == 0o600 and mode(env) == 0o644  # new file; kept mode


def test_generate_refuses_to_replace_a_key(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    text = f"LANGFLOW_SECRET_KEY={GOOD}\n"
    env.write_text(text)
    r = run("secrets", "generate", "--write-env", str(env))
    assert r.exit_code == 10, r
    assert r.stderr.count("\n") == 1 and "secrets rotate" in r.stderr
    assert env.read_text() == text


def test_generate_duplicate_lines_refused(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    text = "LANGFLOW_SECRET_KEY=a\nLANGFLOW_SECRET_KEY=b\n"
    env.write_text(text)
    r = run("secrets", "generate", "--write-env", str(env), "--force")
    assert r.exit_code == 4, r
    assert r.stderr.count("\n") == 1
    assert env.read_text() == text
