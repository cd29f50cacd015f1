"""The login gate in AppTest: nothing of the app (no page, no number, no download) before signing in."""
import pytest
from streamlit.testing.v1 import AppTest

from crm import auth
from crm.db import Database
from crm.importing import import_file
from tests.conftest import FIXTURES, ROOT

APP = str(ROOT / "app.py")
PASSWORD = "team pass 123"
HASH = auth.hash_password(PASSWORD, iterations=1_000)
OIDC = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "c" * 32,
        "client_id": "id", "client_secret": "secret",
        "server_metadata_url": "https://accounts.google.com/.well-known/openid-configuration"}


@pytest.fixture(autouse=True)
def _fresh_limiter(monkeypatch, tmp_path):
    auth.LIMITER.reset()
    path = tmp_path / "gate.duckdb"
    db = Database(path)
    assert import_file(db, FIXTURES / "taobao_orders_61_gbk.csv").ok
    db.close()
    monkeypatch.setenv("CRM_DB", str(path))
    yield
    auth.LIMITER.reset()


@pytest.fixture(params=["pages_dir_mode", "server_mode"])
def either_mode(request):
    if request.param == "server_mode":
        request.getfixturevalue("server_mode")
    return request.param


def app(secrets: dict, user: dict | None = None) -> AppTest:
    at = AppTest.from_file(APP, default_timeout=60)
    at.session_state["lang"] = "en"
    for k, v in secrets.items():
        at.secrets[k] = v
    if user is not None:
        at.user = user
    return at


def no_errors(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error], [e.value for e in at.error]


def app_visible(at) -> bool:
    """Anything the app shows once signed in: the Overview's figures or the sidebar data line."""
    return bool(at.metric) or any("orders" in c.value and "members" in c.value for c in at.sidebar.caption)


def only_login(at):
    assert not at.exception, [e.value for e in at.exception]
    assert not app_visible(at)
    assert not at.metric and not at.dataframe and not at.get("download_button") and not at.get("file_uploader")
    assert not at.get("plotly_chart")
    assert [t.value for t in at.title] == ["Sign in"]


def sign_in(at, password):
    at.text_input(key="auth_password").input(password)
    at.button[-1].click()  # the form's submit button
    return at.run()


def test_no_gate_without_settings():
    at = app({"unrelated": "x"}).run()
    no_errors(at)
    assert app_visible(at)
    assert not at.get("text_input") or all(t.key != "auth_password" for t in at.text_input)
    assert all(b.key != "auth_logout" for b in at.sidebar.button)


def test_password_gate_shows_only_the_form():
    at = app({"auth_password": {"hash": HASH}}).run()
    only_login(at)
    assert at.text_input(key="auth_password").label == "Password"


def test_wrong_password_then_right_password(either_mode):
    at = app({"auth_password": {"hash": HASH}}).run()
    at = sign_in(at, "nope")
    only_login(at)
    assert [e.value for e in at.error] == ["Wrong password."]
    at = sign_in(at, PASSWORD)
    no_errors(at)
    assert app_visible(at)
    metrics = {m.label: m.value for m in at.metric}
    assert metrics["Purchases"] == "6"
    assert any(b.key == "auth_logout" for b in at.sidebar.button)
    # and the pages open
    at.switch_page("pages/data.py").run()
    no_errors(at)
    assert at.get("file_uploader")


def test_deep_page_is_gated(either_mode):
    at = app({"auth_password": {"hash": HASH}}).run()
    for page in ("pages/data.py", "pages/cohorts.py", "pages/members.py", "pages/levels.py"):
        at.switch_page(page).run()
        only_login(at)  # the sign-in form, nothing of the page
    if either_mode == "server_mode":  # (signing in after a redirect is not simulated by AppTest's pages/ mode;
        at = sign_in(at, PASSWORD)    # tests/e2e/test_login_gate.py does it in a browser)
        no_errors(at)
        assert app_visible(at)


def test_signing_in_on_a_page_address_opens_that_page(server_mode):
    at = app({"auth_password": {"hash": HASH}})
    at.context = {"url": "http://localhost:8501/members"}
    at.run()
    only_login(at)
    at = sign_in(at, PASSWORD)
    no_errors(at)
    assert [t.value for t in at.title] == ["Members & tags"]


def test_chinese_login_screen():
    at = app({"auth_password": {"hash": HASH}})
    at.session_state["lang"] = "zh"
    at.run()
    assert [t.value for t in at.title] == ["登录"]
    at = sign_in(at, "错的")
    assert [e.value for e in at.error] == ["密码不对。"]


def test_rate_limit_after_five_failures():
    at = app({"auth_password": {"hash": HASH}}).run()
    for _ in range(4):
        at = sign_in(at, "nope")
        assert [e.value for e in at.error] == ["Wrong password."]
    at = sign_in(at, "nope")
    assert "Try again in 30 s" in at.error[0].value
    at = sign_in(at, PASSWORD)  # locked: even the right password waits
    only_login(at)
    assert "Too many wrong passwords" in at.error[0].value
    # another session from the same address is locked too
    other = app({"auth_password": {"hash": HASH}}).run()
    other = sign_in(other, PASSWORD)
    only_login(other)


def test_logout_closes_the_app_again(server_mode):
    at = app({"auth_password": {"hash": HASH}}).run()
    at = sign_in(at, PASSWORD)
    assert app_visible(at)
    at.sidebar.button(key="auth_logout").click().run()
    only_login(at)
    assert "_auth_password_ok" not in at.session_state
    assert at.session_state["lang"] == "en"  # the language survives logging out


def test_changing_the_password_logs_sessions_out(either_mode):
    at = app({"auth_password": {"hash": HASH}}).run()
    at = sign_in(at, PASSWORD)
    assert app_visible(at)
    at.secrets["auth_password"] = {"hash": auth.hash_password("new one", iterations=1_000)}
    at.run()
    only_login(at)


@pytest.mark.parametrize("secrets", [
    {"auth_password": {"hash": "plain text password"}},
    {"auth_password": {"hash": HASH.replace("pbkdf2_sha256", "md5")}},
    {"auth": {k: v for k, v in OIDC.items() if k != "cookie_secret"}},
])
def test_broken_settings_keep_the_app_closed(secrets):
    at = app(secrets).run()
    assert not at.exception
    assert not app_visible(at) and not at.get("text_input")
    assert len(at.error) == 1 and "secrets.toml" in at.error[0].value
    at.switch_page("pages/data.py").run()
    assert not app_visible(at) and not at.get("file_uploader")


def test_sso_without_authlib_keeps_the_app_closed(monkeypatch):
    from crm import ui
    monkeypatch.setattr(ui, "_authlib_ok", lambda: False)
    at = app({"auth": dict(OIDC)}, user={"is_logged_in": True, "email": "a@shop.cn"}).run()
    assert not app_visible(at)
    assert "Authlib" in at.error[0].value


def test_sso_logged_out_sees_the_sign_in_button(monkeypatch):
    from crm import ui
    monkeypatch.setattr(ui, "_authlib_ok", lambda: True)
    at = app({"auth": dict(OIDC)}, user={"is_logged_in": False}).run()
    only_login(at)
    assert [b.label for b in at.button if b.key == "auth_sso_default"] == [
        "Sign in with your company account (single sign-on)"]
    assert not at.get("text_input")  # no password configured


def test_sso_logged_in_sees_the_app(monkeypatch):
    from crm import ui
    monkeypatch.setattr(ui, "_authlib_ok", lambda: True)
    at = app({"auth": dict(OIDC)}, user={"is_logged_in": True, "email": "li@shop.cn", "name": "Li"}).run()
    no_errors(at)
    assert app_visible(at)
    assert any(c.value == "Signed in as Li" for c in at.sidebar.caption)
    at.switch_page("pages/members.py").run()
    no_errors(at)


def test_sso_account_not_on_the_allow_list(monkeypatch):
    from crm import ui
    monkeypatch.setattr(ui, "_authlib_ok", lambda: True)
    secrets = {"auth": dict(OIDC), "auth_allow": {"domains": ["shop.cn"]}}
    at = app(secrets, user={"is_logged_in": True, "email": "x@gmail.com"}).run()
    assert not app_visible(at)
    assert "x@gmail.com" in at.warning[0].value
    at.switch_page("pages/cohorts.py").run()
    assert not app_visible(at) and not at.dataframe
    ok = app(secrets, user={"is_logged_in": True, "email": "boss@shop.cn"}).run()
    no_errors(ok)
    assert app_visible(ok)


def test_password_and_sso_together(monkeypatch):
    from crm import ui
    monkeypatch.setattr(ui, "_authlib_ok", lambda: True)
    at = app({"auth": dict(OIDC), "auth_password": {"hash": HASH}}, user={"is_logged_in": False}).run()
    only_login(at)
    assert any(b.key == "auth_sso_default" for b in at.button)
    at = sign_in(at, PASSWORD)
    no_errors(at)
    assert app_visible(at)


class _Secrets:
    """st.secrets whose files are missing or cannot be parsed."""

    def __init__(self, error_id):
        self.error_id = error_id

    def to_dict(self):
        from streamlit.errors import StreamlitSecretNotFoundError
        raise StreamlitSecretNotFoundError("Error parsing secrets file at /srv/x/secrets.toml: bad",
                                           error_id=self.error_id)


def test_unreadable_secrets_file_keeps_the_app_closed(monkeypatch):
    import streamlit
    monkeypatch.setattr(streamlit, "secrets", _Secrets("failed-parsing-secrets-file"))
    at = app({}).run()
    assert not at.exception
    assert not app_visible(at) and not at.get("text_input")
    assert [e.value for e in at.error] == [
        "The sign-in settings in .streamlit/secrets.toml are wrong: secrets.toml cannot be read (details in the "
        "server's log). The desk stays closed until they are fixed."]
    assert "/srv/x" not in at.error[0].value


def test_no_secrets_file_means_no_gate(monkeypatch):
    import streamlit
    monkeypatch.setattr(streamlit, "secrets", _Secrets("no-secrets-found"))
    at = app({}).run()
    no_errors(at)
    assert app_visible(at)
