"""``lfadmin superuser``: what ``langflow superuser`` should have been (docs/langflow/auth.md §5).

Rules, and where they differ from Langflow's command on purpose:
- ``LANGFLOW_ENABLE_SUPERUSER_CLI`` false (any spelling pydantic accepts) refuses before the
  database is opened; Langflow's command migrates (and on 1.6.9 bootstraps ``langflow``) first.
- First-time setup - no *active* superuser - needs no authentication; afterwards the invoking
  superuser authenticates by the auto-login rules (``lfadmin.core.auth``). Langflow counts
  inactive and retired superusers too, which leaves a database whose only superuser was retired
  with no way in short of editing it; here that is first-time setup again, and audited as such.
- AUTO_LOGIN=True: everyone is effectively a superuser (the seed documentation), so no
  credentials are needed, with a warning that the server forces its default account; the
  auto-login account must still exist and be an active superuser (``lfadmin.core.auth``).
- An existing name is an error (Langflow prints "Superuser creation failed." and exits 0, or
  "created successfully" for an existing superuser while changing nothing).
- Never a never-logged-in superuser named ``langflow`` with AUTO_LOGIN off
  (``users.guard_default_superuser``): Langflow deletes or retires it at its next start.
- Every creation is named in the command's audit record (``lfadmin.core.audit``), written
  before the transaction commits: no audit record, no superuser.

Break-glass (an operator who lost every superuser password): ``--break-glass`` creates a new
superuser without authenticating one, only when all of these hold - AUTO_LOGIN is off, an active
superuser exists (otherwise first-time setup applies and break-glass is not needed),
``LANGFLOW_ENABLE_SUPERUSER_CLI`` is *explicitly* true (the default is not enough), a reason is
given, and the operator presents the server's secret key, proven by decrypting a value the
server encrypted in this database. With no such value it is refused: the only other thing to
compare with is the secret key lfadmin was given, which is the invoker's own. Refusals of a
presented key are audited too.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from lfadmin.core import audit, user_rows, users
from lfadmin.core.actor import Actor, Credentials
from lfadmin.core.auth import authenticate, auto_login_superuser, effective_auto_login
from lfadmin.core.session import Session
from lfadmin.core.target import Target
from lfadmin.core.user_rows import UserRecord
from lfadmin.db import execute
from lfadmin.errors import AuthFailed, Conflict, InvalidInput, Refused
from lfadmin.langflow.crypto import check_password_acceptable, decrypt
from lfadmin.langflow.settings import DEFAULT_SUPERUSER, LEGACY_DEFAULT_PASSWORD, LangflowSettings

SETTING = users.SUPERUSER_CLI
# PostgreSQL: serialise superuser creation so the "is this first-time setup?" count and the
# insert happen as one step across concurrent lfadmin processes. SQLite needs nothing: write
# transactions start with BEGIN IMMEDIATE (lfadmin.db), which already serialises them.
_PG_LOCK_ID = 0x6C6661646D696E  # "lfadmin"
_PROOF_SAMPLE = 50
BREAK_GLASS_WITH_CREDENTIALS = (
    "--break-glass replaces authentication: drop --as, --auth-password-stdin and --api-key-stdin"
)


def check_cli_enabled(settings: LangflowSettings) -> None:
    """Refuse when the server's settings disable the superuser command (no database access)."""
    val = settings.env.setting(SETTING)
    if val is not None and not val.boolean():  # only an explicit false refuses
        raise Refused(
            f"superuser creation via the CLI is disabled: {val.name}={val.raw} (set in "
            f"{val.origin.where()}) controls the availability of the superuser command",
            hint=f"set LANGFLOW_{SETTING}=true to enable it",
        )


def check_break_glass_allowed(settings: LangflowSettings) -> None:
    """Break-glass needs the setting *explicitly* true: its default does not count."""
    check_cli_enabled(settings)
    if settings.env.setting(SETTING) is None:
        raise Refused(
            f"--break-glass requires LANGFLOW_{SETTING}=true to be set explicitly (Langflow's default does not count)",
            hint=f"run it as: LANGFLOW_{SETTING}=true lfadmin superuser --break-glass ...",
        )


@dataclass(frozen=True)
class Request:
    """What ``lfadmin superuser`` was given. The callables read (stdin, a file, a terminal) only
    when the rules reach them, so each input is read - or refused - in the command's order:
    the gate, break-glass, the name, the password, then the invoker's credentials."""

    username: str | None = None
    password: Callable[[], str] | None = None  # given explicitly (--password-stdin/--password-env)
    break_glass: bool = False
    reason: str | None = None
    secret_key: Callable[[], tuple[str, str]] | None = None  # --secret-key-file: (key, where from)
    credentials_given: bool = False  # --as, --auth-password-stdin or --api-key-stdin
    credentials: Callable[[], Credentials] | None = None
    ask_username: Callable[[], str] | None = None  # None: no terminal to ask on
    ask_password: Callable[[str], str] | None = None  # (label) -> a confirmed password


def create(target: Target, req: Request) -> Created:
    """``lfadmin superuser``: the gate first (nothing is read, prompted or opened when the server
    forbids it), then who to create with which password, then ``create_superuser``."""
    settings = target.settings
    if req.break_glass:
        check_break_glass_allowed(settings)
    else:
        check_cli_enabled(settings)
    bg = None
    if req.break_glass:
        if req.credentials_given:
            raise InvalidInput(BREAK_GLASS_WITH_CREDENTIALS)
        if req.reason is None or not req.reason.strip():
            raise InvalidInput("--break-glass needs --reason TEXT (it goes to the audit trail)")
        if req.secret_key is None:
            raise InvalidInput(
                "--break-glass needs proof of access to the server: --secret-key-file PATH "
                "(the server's $LANGFLOW_CONFIG_DIR/secret_key, or - to read it from stdin)"
            )
        secret, source = req.secret_key()
        bg = BreakGlass(secret, source, req.reason.strip())
    elif req.reason is not None or req.secret_key is not None:
        raise InvalidInput("--reason and --secret-key-file only go with --break-glass")

    name = _username(target, req)
    password = _password(target, req, name)
    creds = None if req.break_glass or req.credentials is None else req.credentials()
    with target.session(write=True, authenticate=False) as s:
        return create_superuser(s, name, password, creds or Credentials(), break_glass=bg)


def _username(target: Target, req: Request) -> str:
    if req.username is not None:
        return req.username
    configured = target.settings.env.setting("SUPERUSER")
    if configured is not None and configured.raw:
        target.note(f"Username {configured.raw!r} from {configured.describe()}")
        return str(configured.raw)
    if req.ask_username is not None:
        return req.ask_username()
    raise InvalidInput("no username given: pass --username NAME (or set LANGFLOW_SUPERUSER)")


def _password(target: Target, req: Request, username: str) -> str:
    if req.password is not None:
        return req.password()
    settings = target.settings
    configured = settings.superuser_name()
    env_pw = settings.superuser_password()
    # LANGFLOW_SUPERUSER_PASSWORD is the password of LANGFLOW_SUPERUSER, nobody else's: giving
    # it to another name would silently hand the bootstrap account's password to a second user.
    if env_pw is not None and username == configured.raw:
        check_password_acceptable(env_pw.raw)
        target.note(f"Password for {username!r} from {env_pw.describe()}")
        return str(env_pw.raw)
    if req.ask_password is not None:
        return req.ask_password(f"Password for new superuser {username!r}")
    hint = ""
    if env_pw is not None:
        hint = f" (LANGFLOW_SUPERUSER_PASSWORD is the password of {configured.raw!r} only)"
    raise InvalidInput(
        "no password given: pipe it to --password-stdin, name a variable with --password-env, "
        "or set LANGFLOW_SUPERUSER_PASSWORD with LANGFLOW_SUPERUSER=" + username + hint
    )


@dataclass(frozen=True)
class BreakGlass:
    secret: str  # the presented secret key: compared and used to decrypt, never logged
    source: str  # where it was read from, for the audit record
    reason: str


@dataclass(frozen=True)
class Created:
    user: UserRecord
    actor: Actor
    first_setup: bool
    break_glass: bool
    proof: str | None
    audit: audit.Location

    def to_json(self) -> dict[str, Any]:
        return {
            "user": self.user.to_json(),
            "created": True,
            "first_setup": self.first_setup,
            "break_glass": self.break_glass,
            "authenticated_as": self.actor.username or None,
            "auth_method": self.actor.method,
            "audit_log": str(self.audit.path),
        }


def create_superuser(
    s: Session,
    username: str,
    password: str,
    creds: Credentials,
    *,
    break_glass: BreakGlass | None = None,
) -> Created:
    """Create an active superuser and its default folder, as ``create_super_user`` does."""
    users.validate_username(username)
    s.subject(f"user {username}")
    s.detail(
        event="superuser.break-glass" if break_glass else "superuser.create",
        username=username,
        reason=break_glass.reason if break_glass else None,
    )
    _check_password(s, username, password)
    _serialise(s)
    _check_new(s, username)

    auto, why = effective_auto_login(s)
    active = user_rows.count_active_superusers(s)
    proof = None
    if break_glass is not None:
        if creds.username or creds.password is not None or creds.api_key is not None:
            raise InvalidInput(BREAK_GLASS_WITH_CREDENTIALS)
        if auto:
            raise Refused(
                f"--break-glass is not needed: LANGFLOW_AUTO_LOGIN=True ({why}) lets anyone create a superuser"
            )
        if active == 0:
            raise Refused(
                "--break-glass is not needed: no active superuser exists, so this is "
                "first-time setup; run the command without --break-glass"
            )
        proof = _prove_secret(s, break_glass)
        actor = Actor(
            "",
            None,
            "break-glass",
            f"break-glass: the server's secret key was presented ({break_glass.source}) and "
            f"{proof}; reason: {break_glass.reason}",
            f"the presented secret key ({break_glass.source}) {proof.removeprefix('it ')}, a value "
            "encrypted in this database",
        )
    elif active == 0:
        # First-time setup, whatever AUTO_LOGIN says: there is no superuser to authenticate.
        total = user_rows.count_superusers(s)
        inactive = f" ({total} inactive)" if total else ""
        actor = Actor(
            "",
            None,
            "first-setup",
            f"first-time setup: no active superuser exists{inactive}, so no authentication "
            f"is required (LANGFLOW_AUTO_LOGIN={auto}, {why})",
            f"the database holds no active superuser{inactive}",
        )
    elif auto:
        actor = authenticate(s, creds)  # the auto-login account: an existing active superuser
    else:
        try:
            actor = authenticate(s, creds)
        except AuthFailed as exc:
            if exc.hint is None:
                exc.hint = (
                    "an existing superuser must authenticate: --as NAME with --auth-password-stdin, or --api-key-stdin"
                )
            raise
    if auto and break_glass is None:
        s.warn(
            f"LANGFLOW_AUTO_LOGIN=True ({why}): everyone is effectively a superuser, and the "
            f"server forces its default account {auto_login_superuser(s)!r} (it signs everyone "
            f"in as it); {username!r}'s password only matters once AUTO_LOGIN is off"
        )
    s.actor = actor

    user = _insert(s, username, password)
    s.detail(
        event="superuser.create",
        result="created",
        user_id=str(user.id),
        first_setup=actor.method == "first-setup",
        break_glass=break_glass is not None,
    )
    loc = audit.location(s.settings)
    return Created(user, actor, actor.method == "first-setup", break_glass is not None, proof, loc)


def _check_password(s: Session, username: str, password: str) -> None:
    if password != LEGACY_DEFAULT_PASSWORD:
        return
    bootstrap = {DEFAULT_SUPERUSER, s.settings.superuser_name().raw}
    if s.schema.refuses_legacy_password and username in bootstrap:
        raise InvalidInput(
            f"Langflow {s.schema.release_label} refuses the legacy default password "
            f"{LEGACY_DEFAULT_PASSWORD!r} for {username!r} at login; choose another password"
        )
    s.warn(f"{LEGACY_DEFAULT_PASSWORD!r} is Langflow's well-known default password")


def _serialise(s: Session) -> None:
    if s.backend == "postgresql":
        execute(s.conn, "SELECT pg_advisory_xact_lock(:k)", k=_PG_LOCK_ID)


def _check_new(s: Session, username: str) -> None:
    existing = user_rows.find_user(s, username)
    if existing is None:
        return
    if existing.is_superuser:
        raise Conflict(
            f"superuser {username!r} already exists; nothing was changed",
            hint=f"to change its password: lfadmin user set-password {username}",
        )
    raise Conflict(
        f"user {username!r} already exists and is not a superuser; nothing was changed",
        hint=f"to make it one: lfadmin user promote {username}",
    )


def _insert(s: Session, username: str, password: str) -> UserRecord:
    from sqlalchemy.exc import IntegrityError

    try:
        # Langflow's create_super_user: is_active=True, is_superuser=True, then the folder.
        return users.create_user(s, username, password, superuser=True, active=True, audited=False)
    except IntegrityError:
        # Someone else (Langflow's API, another tool) inserted the name meanwhile.
        raise Conflict(f"user {username!r} already exists; nothing was changed") from None


def _encrypted_samples(s: Session) -> list[tuple[str, str, str]]:
    """(table, id, token) for values the server encrypted with its secret key."""
    sources = [("apikey", "api_key"), ("variable", "value"), ("user", "store_api_key")]
    found: list[tuple[str, str, str]] = []
    for table, column in sources:
        q = user_rows.quote(s, table)
        rows = execute(s.conn, f"SELECT id, {column} FROM {q} WHERE {column} LIKE 'gAAAAA%' LIMIT {_PROOF_SAMPLE}")
        found.extend((table, str(s.codec.read_uuid(r[0])), r[1]) for r in rows)
    return found


def _prove_secret(s: Session, bg: BreakGlass) -> str:
    """How the presented key was shown to be the server's; AuthFailed (audited) if it is not."""
    hint = None
    candidates = [bg.secret]
    if bg.secret.rstrip("\r\n") != bg.secret:
        candidates.append(bg.secret.rstrip("\r\n"))  # a key file saved with a newline
    samples = _encrypted_samples(s)
    for table, row_id, token in samples:
        for cand in candidates:
            if decrypt(cand, token) is not None:
                return f"it decrypts {table} row {row_id}"
    if samples:
        failure = (
            f"the presented secret key ({bg.source}) decrypts none of the {len(samples)} "
            "encrypted values in the database: it is not this server's secret key"
        )
    else:
        # Nothing the server encrypted to check the key against. Comparing it with the secret
        # key lfadmin itself was given (the invoker's own environment or config dir) would only
        # compare the invoker with the invoker.
        failure = (
            f"the presented secret key ({bg.source}) cannot be verified: the database holds no "
            "value encrypted with the server's secret key (a key from your own environment "
            "proves nothing)"
        )
        hint = (
            "have the running server encrypt one - any user can create a Credential global "
            "variable (or, on 1.9+, an API key) - then retry"
        )
    s.detail(result="denied")  # the command's failure record says why
    raise AuthFailed(failure, hint=hint)
