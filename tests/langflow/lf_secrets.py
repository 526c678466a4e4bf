"""Langflow's own encryption, for the secrets tests: encrypt/decrypt values with a release's code.

Run with the python of a Langflow venv::

    <venv>/bin/python tests/langflow/lf_secrets.py --secret-key KEY --config-dir DIR < ops.json

``ops.json`` is a list of ``{"op": "encrypt"|"decrypt"|"sso_encrypt"|"sso_decrypt", "value": ...}``;
the output is a list of ``{"ok": true, "value": ...}`` or ``{"ok": false, "error": ...}``.
``decrypt`` uses the release's decrypting Fernet (MultiFernet with the legacy fallback on 1.11+)
and raises instead of returning ``""`` so an undecryptable token is told apart from an empty one.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import sys
import tempfile


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--secret-key", required=True)
    parser.add_argument("--config-dir", default=None)
    args = parser.parse_args()
    ops = json.load(sys.stdin)
    cfg = args.config_dir or tempfile.mkdtemp(prefix="lf-secrets-")
    os.environ.update(
        {
            "LANGFLOW_SECRET_KEY": args.secret_key,
            "LANGFLOW_CONFIG_DIR": cfg,
            "LANGFLOW_DATABASE_URL": f"sqlite:///{tempfile.mkdtemp()}/unused.db",
            "DO_NOT_TRACK": "true",
            "LANGFLOW_LOG_LEVEL": "error",
        }
    )
    real_stdout, sys.stdout = sys.stdout, sys.stderr
    with contextlib.suppress(ImportError):
        from langflow.services.utils import register_all_service_factories

        register_all_service_factories()
    from langflow.services.auth import utils as auth_utils
    from langflow.services.deps import get_settings_service

    settings = get_settings_service()
    encrypting = auth_utils.get_fernet(settings)
    decrypting = getattr(auth_utils, "get_fernet_for_decryption", auth_utils.get_fernet)(settings)
    results = []
    for op in ops:
        try:
            kind, value = op["op"], op["value"]
            if kind == "encrypt":
                out = encrypting.encrypt(value.encode()).decode()
            elif kind == "decrypt":
                out = decrypting.decrypt(value.encode()).decode()
            elif kind in ("sso_encrypt", "sso_decrypt"):
                from langflow.services.database.models.auth import sso_secret

                fn = sso_secret.encrypt_sso_client_secret if kind == "sso_encrypt" else sso_secret.decrypt_sso_client_secret
                out = fn(value, settings)
            else:
                raise ValueError(f"unknown op {kind!r}")
            results.append({"ok": True, "value": out})
        except Exception as exc:
            results.append({"ok": False, "error": f"{type(exc).__name__}: {exc}"})
    sys.stdout = real_stdout
    json.dump(results, sys.stdout)
    return 0


if __name__ == "__main__":
    sys.exit(main())
