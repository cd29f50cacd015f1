"""The app's Streamlit settings that its pages rely on."""
import ast
import tomllib

from tests.conftest import ROOT

SCRIPTS = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]


def shown_by_magic(path) -> list[str]:
    """The statements Streamlit's magic would show: a bare expression that is not a call, a yield,
    an await or a docstring."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = []
    for node in ast.walk(tree):
        for field in ("body", "orelse", "finalbody"):
            body = getattr(node, field, None)
            if not isinstance(body, list):
                continue
            for i, st in enumerate(body):
                if not isinstance(st, ast.Expr) or isinstance(st.value, (ast.Call, ast.Yield, ast.YieldFrom,
                                                                          ast.Await)):
                    continue
                docstring = (i == 0 and isinstance(st.value, ast.Constant) and isinstance(st.value.value, str)
                             and isinstance(node, (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef)))
                if not docstring:
                    out.append(f"{path.name}:{st.lineno}: {ast.unparse(st)}")
    return out


def test_magic_is_off_and_no_page_needs_it():
    config = tomllib.loads((ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8"))
    assert config["runner"]["magicEnabled"] is False
    assert len(SCRIPTS) > 10
    assert [line for p in SCRIPTS for line in shown_by_magic(p)] == []


def test_the_check_finds_what_magic_would_show(tmp_path):
    page = tmp_path / "p.py"
    page.write_text('"""doc"""\nimport streamlit as st\nx = 1\nx\nst.write(x)\nif x:\n    "shown"\n'
                    'def f():\n    """doc"""\n    x + 1\n')
    assert shown_by_magic(page) == ["p.py:4: x", "p.py:7: 'shown'", "p.py:10: x + 1"]
