"""The login gate's logic (crm/auth.py): password hashes, the settings it reads, the rate limiter."""
import base64
import io
import os
import subprocess
import sys
import threading

import pytest

from crm import auth
from tests.conftest import ROOT

FAST = 1_000  # iterations for tests (the real default is 600,000)


# -- hashing -----------------------------------------------------------------------------------------
def test_hash_then_verify():
    h = auth.hash_password("correct horse", iterations=FAST)
    algorithm, iterations, salt, digest = h.split("$")
    assert (algorithm, iterations) == ("pbkdf2_sha256", str(FAST))
    assert len(base64.b64decode(digest)) == 32 and salt
    assert auth.verify_password("correct horse", h)
    assert not auth.verify_password("correct horse ", h)
    assert not auth.verify_password("Correct horse", h)
    assert not auth.verify_password("", h)


def test_default_iterations_and_random_salt():
    h1, h2 = auth.hash_password("pw"), auth.hash_password("pw")
    assert h1.split("$")[1] == "600000"
    assert h1 != h2  # a new salt each time
    assert auth.verify_password("pw", h1) and auth.verify_password("pw", h2)


def test_known_vector_matches_hashlib():
    import hashlib
    h = auth.hash_password("密码", iterations=FAST, salt="abc")
    expected = base64.b64encode(hashlib.pbkdf2_hmac("sha256", "密码".encode(), b"abc", FAST, 32)).decode()
    assert h == f"pbkdf2_sha256${FAST}$abc${expected}"


def test_unicode_is_normalised():
    h = auth.hash_password("caf\u00e9", iterations=FAST)
    assert auth.verify_password("cafe\u0301", h)  # the same text typed as e + combining accent


def test_too_long_password_is_refused_not_hashed():
    h = auth.hash_password("x" * 10, iterations=FAST)
    assert not auth.verify_password("x" * (auth.MAX_PASSWORD_CHARS + 1), h)
    with pytest.raises(ValueError):
        auth.hash_password("x" * (auth.MAX_PASSWORD_CHARS + 1), iterations=FAST)
    with pytest.raises(ValueError):
        auth.hash_password("", iterations=FAST)


GOOD = auth.hash_password("pw", iterations=FAST, salt="s")
DIGEST = GOOD.split("$")[3]


@pytest.mark.parametrize("encoded, key", [
    (None, "auth_error_hash_missing"),
    ("", "auth_error_hash_missing"),
    ("   ", "auth_error_hash_missing"),
    ("pw", "auth_error_hash_format"),                                    # a plain password pasted as the hash
    (f"pbkdf2_sha256${FAST}$s", "auth_error_hash_format"),              # three parts
    (f"pbkdf2_sha256${FAST}$s${DIGEST}$x", "auth_error_hash_format"),   # five parts
    (f"bcrypt${FAST}$s${DIGEST}", "auth_error_hash_algorithm"),
    (f"pbkdf2_sha1${FAST}$s${DIGEST}", "auth_error_hash_algorithm"),
    (f"pbkdf2_sha256$abc$s${DIGEST}", "auth_error_hash_format"),
    (f"pbkdf2_sha256$-5$s${DIGEST}", "auth_error_hash_format"),
    (f"pbkdf2_sha256$10$s${DIGEST}", "auth_error_hash_iterations"),    # far too few
    (f"pbkdf2_sha256$99999999999$s${DIGEST}", "auth_error_hash_iterations"),
    (f"pbkdf2_sha256${FAST}$${DIGEST}", "auth_error_hash_format"),     # no salt
    (f"pbkdf2_sha256${FAST}$s$not base64!", "auth_error_hash_format"),
    (f"pbkdf2_sha256${FAST}$s${base64.b64encode(b'short').decode()}", "auth_error_hash_format"),
    (12345, "auth_error_hash_missing"),
])
def test_wrong_hash_formats_raise(encoded, key):
    with pytest.raises(auth.HashFormatError) as e:
        auth.verify_password("pw", encoded)
    assert e.value.key == key
    assert auth.verify_password("pw", GOOD)  # the well-formed one still works


def test_surrounding_whitespace_of_the_hash_is_ignored():
    assert auth.verify_password("pw", f"  {GOOD}\n")


def test_fingerprint_changes_with_the_hash():
    other = auth.hash_password("pw", iterations=FAST)
    assert auth.fingerprint(GOOD) != auth.fingerprint(other)
    assert auth.fingerprint(GOOD) == auth.fingerprint(GOOD + "\n")


# -- settings ----------------------------------------------------------------------------------------
OIDC = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "x" * 32,
        "client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}


def test_nothing_configured_means_no_gate():
    for secrets in (None, {}, {"unrelated": "x"}):
        assert not auth.gate_config(secrets).active


def test_password_configured():
    cfg = auth.gate_config({"auth_password": {"hash": GOOD}})
    assert cfg.active and cfg.password_hash == GOOD and not cfg.problems and not cfg.oidc_providers


@pytest.mark.parametrize("section", [{"hash": "pw"}, {}, "pbkdf2_sha256$1000$s$x", {"hash": ""}])
def test_unreadable_password_setting_keeps_the_gate_closed(section):
    cfg = auth.gate_config({"auth_password": section})
    assert cfg.active and cfg.problems and cfg.password_hash is None


def test_oidc_default_and_named_providers():
    assert auth.gate_config({"auth": dict(OIDC)}).oidc_providers == ["default"]
    named = {"redirect_uri": OIDC["redirect_uri"], "cookie_secret": "c",
             "google": {k: OIDC[k] for k in ("client_id", "client_secret", "server_metadata_url")},
             "microsoft": {k: OIDC[k] for k in ("client_id", "client_secret", "server_metadata_url")}}
    cfg = auth.gate_config({"auth": named})
    assert cfg.oidc_providers == ["google", "microsoft"] and not cfg.problems
    # client_kwargs is a table of the default provider, not a provider
    cfg = auth.gate_config({"auth": {**OIDC, "client_kwargs": {"prompt": "login"}}})
    assert cfg.oidc_providers == ["default"] and not cfg.problems


@pytest.mark.parametrize("drop", ["redirect_uri", "cookie_secret", "client_secret", "server_metadata_url"])
def test_incomplete_oidc_keeps_the_gate_closed(drop):
    section = {k: v for k, v in OIDC.items() if k != drop}
    cfg = auth.gate_config({"auth": section})
    assert cfg.active and cfg.problems and not cfg.oidc_providers
    assert drop in cfg.problems[0][1]["missing"]


def test_oidc_without_any_provider_or_with_underscore_is_a_problem():
    assert auth.gate_config({"auth": {"redirect_uri": "u", "cookie_secret": "c"}}).problems
    p = {k: OIDC[k] for k in ("client_id", "client_secret", "server_metadata_url")}
    cfg = auth.gate_config({"auth": {"redirect_uri": "u", "cookie_secret": "c", "my_idp": p}})
    assert ("auth_error_oidc_provider_name", {"name": "my_idp"}) in cfg.problems


def test_allow_list():
    cfg = auth.gate_config({"auth": dict(OIDC), "auth_allow": {"emails": ["Boss@Gmail.com"], "domains": ["@shop.cn"]}})
    assert auth.account_allowed({"email": "boss@gmail.com"}, cfg)
    assert auth.account_allowed({"email": "li@SHOP.cn", "email_verified": True}, cfg)
    assert not auth.account_allowed({"email": "li@shop.cn", "email_verified": False}, cfg)
    assert not auth.account_allowed({"email": "li@other.cn"}, cfg)
    assert not auth.account_allowed({"email": "li@shop.cn.evil.com"}, cfg)
    assert not auth.account_allowed({}, cfg)
    open_cfg = auth.gate_config({"auth": dict(OIDC)})
    assert auth.account_allowed({"email": "anyone@anywhere.com"}, open_cfg)
    assert auth.gate_config({"auth_allow": "x"}).problems


# -- rate limiting -----------------------------------------------------------------------------------
class Clock:
    def __init__(self):
        self.now = 1000.0

    def __call__(self):
        return self.now

    def tick(self, seconds):
        self.now += seconds


def limiter(clock):
    return auth.RateLimiter(max_failures=5, window=600, base_delay=30, max_delay=900, clock=clock)


def test_four_failures_cost_nothing_the_fifth_locks_30s():
    clock = Clock()
    lim = limiter(clock)
    for _ in range(4):
        assert lim.failure("ip:a") == 0
        clock.tick(10)
    assert lim.wait("ip:a") == 0
    assert lim.failure("ip:a") == 30
    assert lim.wait("ip:a") == 30
    clock.tick(29.5)
    assert lim.wait("ip:a") == pytest.approx(0.5)
    clock.tick(0.5)
    assert lim.wait("ip:a") == 0


def test_backoff_doubles_up_to_the_cap():
    clock = Clock()
    lim = limiter(clock)
    for _ in range(4):
        lim.failure("k")
    waits = []
    for _ in range(8):
        w = lim.failure("k")
        waits.append(w)
        clock.tick(w)  # wait it out, then fail again
    assert waits[:5] == [30, 60, 120, 240, 480]
    # failures older than the 10-minute window no longer count, so the lock eases off again
    assert all(w <= 900 for w in waits)


def test_cap_is_reached_when_failures_stay_in_the_window():
    clock = Clock()
    lim = auth.RateLimiter(max_failures=5, window=10_000, base_delay=30, max_delay=900, clock=clock)
    for _ in range(4):
        lim.failure("k")
    waits = []
    for _ in range(7):
        waits.append(lim.failure("k"))
        clock.tick(waits[-1])
    assert waits == [30, 60, 120, 240, 480, 900, 900]


def test_failures_spread_over_more_than_the_window_never_lock():
    clock = Clock()
    lim = limiter(clock)
    for _ in range(20):
        assert lim.failure("k") == 0
        clock.tick(151)  # 4 failures per 604 s
    assert lim.wait("k") == 0


def test_success_forgets_and_keys_are_separate():
    clock = Clock()
    lim = limiter(clock)
    for _ in range(5):
        lim.failure("ip:a")
    assert lim.wait("ip:a") > 0 and lim.wait("ip:b") == 0
    lim.success("ip:a")
    assert lim.wait("ip:a") == 0
    assert lim.failure("ip:a") == 0  # counting starts again


def test_a_lock_outlasts_the_window():
    clock = Clock()
    lim = auth.RateLimiter(max_failures=5, window=600, base_delay=30, max_delay=900, clock=clock)
    for _ in range(9):
        lim.failure("k")   # 9 failures at once: 30 × 2^4 = 480 s
    assert lim.wait("k") == 480
    clock.tick(479)
    assert lim.wait("k") == 1


def test_thread_safe_counting():
    clock = Clock()
    lim = auth.RateLimiter(max_failures=10_000, window=10**9, clock=clock)
    threads = [threading.Thread(target=lambda: [lim.failure("k") for _ in range(500)]) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(lim._records["k"].failures) == 4000


def test_memory_is_bounded():
    clock = Clock()
    lim = auth.RateLimiter(max_keys=100, clock=clock)
    for i in range(1000):
        lim.failure(f"ip:{i}")
        clock.tick(1)
    assert len(lim._records) <= 100


def test_client_key():
    assert auth.client_key("203.0.113.9") == "ip:203.0.113.9"
    assert auth.client_key(None) == auth.client_key("") == "ip:loopback"


# -- python -m crm hash-password ---------------------------------------------------------------------
class Pipe(io.StringIO):
    def isatty(self):
        return False


class Tty(io.StringIO):
    def isatty(self):
        return True


def test_command_reads_a_pipe_and_prints_the_secrets_lines():
    out, err = io.StringIO(), io.StringIO()
    assert auth.hash_password_command("en", iterations=FAST, stdin=Pipe("s3cret pass\n"), stdout=out, stderr=err) == 0
    lines = out.getvalue().strip().splitlines()
    assert lines[0] == "[auth_password]"
    assert lines[1].startswith('hash = "pbkdf2_sha256$') and lines[1].endswith('"')
    import tomllib
    parsed = tomllib.loads(out.getvalue())
    assert auth.verify_password("s3cret pass", parsed["auth_password"]["hash"])
    assert "secrets.toml" in err.getvalue()


def test_command_on_a_terminal_asks_twice():
    answers = iter(["abcdefgh", "abcdefgh"])
    out, err = io.StringIO(), io.StringIO()
    code = auth.hash_password_command("en", iterations=FAST, stdin=Tty(), stdout=out, stderr=err,
                                      getpass_fn=lambda prompt: next(answers))
    assert code == 0 and "pbkdf2_sha256" in out.getvalue()
    answers = iter(["abcdefgh", "abcdefgX"])
    out = io.StringIO()
    code = auth.hash_password_command("en", iterations=FAST, stdin=Tty(), stdout=out, stderr=err,
                                      getpass_fn=lambda prompt: next(answers))
    assert code == 2 and out.getvalue() == "" and "differ" in err.getvalue()


def test_command_refuses_an_empty_password():
    out, err = io.StringIO(), io.StringIO()
    assert auth.hash_password_command("zh", stdin=Pipe("\n"), stdout=out, stderr=err) == 2
    assert out.getvalue() == "" and "空" in err.getvalue()


def test_command_line():
    env = dict(os.environ, CRM_LANG="en", PYTHONPATH=str(ROOT))
    p = subprocess.run([sys.executable, "-m", "crm", "hash-password", "--iterations", str(FAST)],
                       input="team password\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert p.returncode == 0, p.stderr
    h = p.stdout.split('"')[1]
    assert auth.verify_password("team password", h)
    p = subprocess.run([sys.executable, "-m", "crm", "hash-password", "--iterations", "5"],
                       input="x\n", capture_output=True, text=True, env=env, cwd=ROOT, timeout=60)
    assert p.returncode == 2 and not p.stdout and "Traceback" not in p.stderr
