"""Who may open the app when it runs for a team (no Streamlit here; the login screen is
`crm.ui.login_gate`).

The gate is configured in `.streamlit/secrets.toml` (never committed):

- a shared password, stored as a hash only::

      [auth_password]
      hash = "pbkdf2_sha256$600000$<salt>$<base64 digest>"

  `python -m crm hash-password` prints those two lines. PBKDF2-HMAC-SHA256 (hashlib), compared in
  constant time (hmac.compare_digest). A hash that cannot be read keeps the app closed.
- or single sign-on through Streamlit's `st.login` (OpenID Connect): an `[auth]` section with
  `redirect_uri`, `cookie_secret` and the provider's `client_id`, `client_secret`,
  `server_metadata_url` (directly in `[auth]`, or one `[auth.<name>]` table per provider).
  Optional `[auth_allow] emails = [...]`, `domains = [...]` limits which accounts may enter.

Neither configured: no gate (one person on their own computer; the server listens on localhost).

Wrong passwords are rate-limited per client address (`RateLimiter`): from the 5th failure within
10 minutes, the next try has to wait 30 s, then 60 s, 120 s … (at most 15 minutes).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import math
import secrets
import sys
import threading
import time
import unicodedata
from collections import deque
from dataclasses import dataclass, field
from typing import Callable, Mapping

ALGORITHM = "pbkdf2_sha256"
DEFAULT_ITERATIONS = 600_000          # OWASP's 2023 figure for PBKDF2-HMAC-SHA256
MIN_ITERATIONS = 1_000                # below this a hash is refused as a configuration error
MAX_ITERATIONS = 10_000_000           # above this one login would block the server for seconds
MAX_PASSWORD_CHARS = 1024
DIGEST_BYTES = 32


class HashFormatError(ValueError):
    """The configured hash cannot be read. `key` is a message key of crm/locales/auth.py."""

    def __init__(self, key: str, **params):
        super().__init__(key)
        self.key = key
        self.params = params


# -- hashing -----------------------------------------------------------------------------------------
def _normalize(password: str) -> bytes:
    # NFC: the same characters typed through different input methods give the same bytes.
    return unicodedata.normalize("NFC", password).encode("utf-8")


def _derive(password: str, salt: str, iterations: int) -> bytes:
    return hashlib.pbkdf2_hmac("sha256", _normalize(password), salt.encode("utf-8"), iterations, DIGEST_BYTES)


def hash_password(password: str, *, iterations: int = DEFAULT_ITERATIONS, salt: str | None = None) -> str:
    """'pbkdf2_sha256$<iterations>$<salt>$<base64 of the 32-byte digest>' with a random salt."""
    if not isinstance(password, str) or not password:
        raise ValueError("empty password")
    if len(password) > MAX_PASSWORD_CHARS:
        raise ValueError("password too long")
    if not MIN_ITERATIONS <= int(iterations) <= MAX_ITERATIONS:
        raise ValueError("iterations out of range")
    salt = salt if salt is not None else secrets.token_urlsafe(16)
    if not salt or "$" in salt:
        raise ValueError("bad salt")
    digest = base64.b64encode(_derive(password, salt, int(iterations))).decode("ascii")
    return f"{ALGORITHM}${int(iterations)}${salt}${digest}"


def parse_hash(encoded) -> tuple[int, str, bytes]:
    """(iterations, salt, digest) of a stored hash; HashFormatError when it is not one of ours."""
    if not isinstance(encoded, str) or not encoded.strip():
        raise HashFormatError("auth_error_hash_missing")
    parts = encoded.strip().split("$")
    if len(parts) != 4:
        raise HashFormatError("auth_error_hash_format")
    algorithm, iterations, salt, digest = parts
    if algorithm != ALGORITHM:
        raise HashFormatError("auth_error_hash_algorithm", algorithm=algorithm[:40])
    if not iterations.isdigit():
        raise HashFormatError("auth_error_hash_format")
    n = int(iterations)
    if not MIN_ITERATIONS <= n <= MAX_ITERATIONS:
        raise HashFormatError("auth_error_hash_iterations", iterations=n, low=MIN_ITERATIONS, high=MAX_ITERATIONS)
    if not salt:
        raise HashFormatError("auth_error_hash_format")
    try:
        raw = base64.b64decode(digest, validate=True)
    except (ValueError, TypeError):
        raise HashFormatError("auth_error_hash_format") from None
    if len(raw) != DIGEST_BYTES:
        raise HashFormatError("auth_error_hash_format")
    return n, salt, raw


def verify_password(password: str, encoded: str) -> bool:
    """True when `password` matches the stored hash (constant-time comparison of the digests).
    A malformed hash raises HashFormatError: the caller keeps the gate closed."""
    iterations, salt, expected = parse_hash(encoded)
    if not isinstance(password, str) or not password or len(password) > MAX_PASSWORD_CHARS:
        # still spend the time of one derivation, so a refusal is not faster than a wrong password
        hmac.compare_digest(_derive("x", salt, iterations), expected)
        return False
    return hmac.compare_digest(_derive(password, salt, iterations), expected)


def fingerprint(encoded: str) -> str:
    """A short tag of the configured hash, kept in a logged-in session: changing the password in
    secrets.toml logs every session out."""
    return hashlib.sha256(encoded.strip().encode("utf-8")).hexdigest()[:16]


def secrets_lines(encoded: str) -> str:
    return f'[auth_password]\nhash = "{encoded}"'


# -- rate limiting -----------------------------------------------------------------------------------
@dataclass
class _Record:
    failures: deque = field(default_factory=deque)   # times of the failures within the window
    locked_until: float = 0.0


class RateLimiter:
    """Failed logins per key (a client address). From the `max_failures`-th failure within
    `window` seconds on, each failure locks the key for base_delay × 2^(n − max_failures) seconds
    (n = failures within the window), at most `max_delay`. While locked, attempts are refused
    without checking the password (and are not counted). A success forgets the key.
    Thread-safe; `clock` is injectable for tests."""

    def __init__(self, max_failures: int = 5, window: float = 600.0, base_delay: float = 30.0,
                 max_delay: float = 900.0, clock: Callable[[], float] = time.monotonic, max_keys: int = 10_000):
        self.max_failures = max_failures
        self.window = window
        self.base_delay = base_delay
        self.max_delay = max_delay
        self.clock = clock
        self.max_keys = max_keys
        self._records: dict[str, _Record] = {}
        self._lock = threading.Lock()

    def _prune(self, rec: _Record, now: float) -> None:
        while rec.failures and rec.failures[0] <= now - self.window:
            rec.failures.popleft()

    def wait(self, key: str) -> float:
        """Seconds before `key` may try again (0.0: now)."""
        with self._lock:
            rec = self._records.get(key)
            if rec is None:
                return 0.0
            return max(0.0, rec.locked_until - self.clock())

    def failure(self, key: str) -> float:
        """Record a wrong password; returns the wait it causes (0.0 below the threshold)."""
        with self._lock:
            now = self.clock()
            rec = self._records.get(key)
            if rec is None:
                if len(self._records) >= self.max_keys:
                    self._collect(now)
                rec = self._records[key] = _Record()
            self._prune(rec, now)
            rec.failures.append(now)
            n = len(rec.failures)
            if n >= self.max_failures:
                delay = min(self.base_delay * 2 ** min(n - self.max_failures, 32), self.max_delay)
                rec.locked_until = max(rec.locked_until, now + delay)
            return max(0.0, rec.locked_until - now)

    def success(self, key: str) -> None:
        with self._lock:
            self._records.pop(key, None)

    def reset(self) -> None:
        with self._lock:
            self._records.clear()

    def _collect(self, now: float) -> None:
        """Forget keys with nothing left to remember; if still too many, the oldest ones."""
        for key in list(self._records):
            rec = self._records[key]
            self._prune(rec, now)
            if not rec.failures and rec.locked_until <= now:
                del self._records[key]
        if len(self._records) >= self.max_keys:
            by_age = sorted(self._records, key=lambda k: max([self._records[k].locked_until,
                                                               *self._records[k].failures]))
            for key in by_age[: len(self._records) - self.max_keys + 1]:
                del self._records[key]


LIMITER = RateLimiter()  # one per server process, shared by all sessions


def client_key(ip_address: str | None) -> str:
    """The rate-limit key of a connection. Streamlit reports no address for a loopback client
    (this computer, or a reverse proxy on it): those share one key, so opening a new browser tab
    does not reset the count."""
    return f"ip:{ip_address}" if ip_address else "ip:loopback"


# -- configuration (from the secrets) ----------------------------------------------------------------
@dataclass
class GateConfig:
    password_hash: str | None = None         # configured and readable
    oidc_providers: list[str] = field(default_factory=list)   # None-provider = "default"
    allow_emails: frozenset[str] = frozenset()
    allow_domains: frozenset[str] = frozenset()
    problems: list[tuple[str, dict]] = field(default_factory=list)  # (message key, params): stay closed

    @property
    def active(self) -> bool:
        return bool(self.password_hash or self.oidc_providers or self.problems)


_PROVIDER_KEYS = ("client_id", "client_secret", "server_metadata_url")
_NOT_PROVIDERS = ("client_kwargs", "expose_tokens")  # tables of the default provider, not providers


def gate_config(secrets_map: Mapping | None) -> GateConfig:
    """Read the gate settings from the secrets (a plain mapping). Anything present but unusable
    becomes a problem, so the gate stays closed rather than open."""
    cfg = GateConfig()
    s = secrets_map or {}
    if "auth_password" in s:
        section = s["auth_password"]
        encoded = section.get("hash") if isinstance(section, Mapping) else None
        try:
            parse_hash(encoded)
            cfg.password_hash = encoded.strip()
        except HashFormatError as e:
            cfg.problems.append((e.key, e.params))
    if "auth" in s:
        section = s["auth"]
        if not isinstance(section, Mapping):
            cfg.problems.append(("auth_error_oidc_incomplete", {"missing": "[auth]"}))
        else:
            missing = [k for k in ("redirect_uri", "cookie_secret") if not section.get(k)]
            providers = []
            if any(k in section for k in _PROVIDER_KEYS):
                providers.append(("default", section))
            providers += [(name, v) for name, v in section.items()
                          if isinstance(v, Mapping) and name not in _NOT_PROVIDERS]
            if not providers:
                missing.append("client_id")
            for name, p in providers:
                missing += [f"{'' if name == 'default' else name + '.'}{k}" for k in _PROVIDER_KEYS if not p.get(k)]
                if "_" in name:
                    cfg.problems.append(("auth_error_oidc_provider_name", {"name": name}))
            if missing:
                cfg.problems.append(("auth_error_oidc_incomplete", {"missing": ", ".join(missing)}))
            else:
                cfg.oidc_providers = [name for name, _ in providers]
    if "auth_allow" in s:
        allow = s["auth_allow"]
        if not isinstance(allow, Mapping):
            cfg.problems.append(("auth_error_allow", {}))
        else:
            emails, domains = allow.get("emails", []), allow.get("domains", [])
            if isinstance(emails, str):
                emails = [emails]
            if isinstance(domains, str):
                domains = [domains]
            cfg.allow_emails = frozenset(str(e).strip().lower() for e in emails if str(e).strip())
            cfg.allow_domains = frozenset(str(d).strip().lower().lstrip("@") for d in domains if str(d).strip())
    return cfg


def account_allowed(user: Mapping, cfg: GateConfig) -> bool:
    """An OIDC account may enter when no allow-list is set, or its (verified) e-mail is listed or
    in a listed domain."""
    if not cfg.allow_emails and not cfg.allow_domains:
        return True
    email = str(user.get("email") or "").strip().lower()
    if not email or "@" not in email or user.get("email_verified") is False:
        return False
    return email in cfg.allow_emails or email.rsplit("@", 1)[1] in cfg.allow_domains


# -- python -m crm hash-password ---------------------------------------------------------------------
def hash_password_command(lang: str, iterations: int = DEFAULT_ITERATIONS, stdin=None, stdout=None,
                          stderr=None, getpass_fn=None) -> int:
    """Ask for the password (twice, hidden) on a terminal, or read one line from a pipe; print the
    lines to paste into .streamlit/secrets.toml. Exit status 0, or 2 for an empty / mismatched /
    too long password."""
    from .i18n import t
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    if not MIN_ITERATIONS <= iterations <= MAX_ITERATIONS:
        print(t("auth_error_hash_iterations", lang, iterations=iterations, low=MIN_ITERATIONS, high=MAX_ITERATIONS),
              file=stderr)
        return 2
    if getpass_fn is None:
        import getpass
        getpass_fn = getpass.getpass
    if stdin.isatty():
        password = getpass_fn(t("auth_cli_prompt", lang))
        again = getpass_fn(t("auth_cli_again", lang))
        if password != again:
            print(t("auth_cli_mismatch", lang), file=stderr)
            return 2
    else:
        password = stdin.readline().rstrip("\r\n")
    if not password:
        print(t("auth_cli_empty", lang), file=stderr)
        return 2
    if len(password) > MAX_PASSWORD_CHARS:
        print(t("auth_cli_too_long", lang, limit=MAX_PASSWORD_CHARS), file=stderr)
        return 2
    if len(password) < 8:
        print(t("auth_cli_short", lang), file=stderr)
    print(t("auth_cli_paste", lang), file=stderr)
    print(secrets_lines(hash_password(password, iterations=iterations)), file=stdout)
    return 0


def wait_text_seconds(wait: float) -> int:
    return max(1, math.ceil(wait))
