"""The models layer: the tables that imports keep, derived from the data the user imported.

Each model is one SQL file in this folder: a header of `--` comment lines, then its
`CREATE TABLE` and the `SELECT` that fills it (both end with `;`), and optionally one cheaper
statement for when only one source changed (`-- when only <source> changed: <columns it sets>`).
The header says what the table is and declares

- `depends:` the sources (orders, order_items, members) and models it reads, each with the columns
  it reads from a model where that matters (`customer_stats(spend)`): a model is rebuilt when a
  source it reads changes, or a model it reads is rebuilt or changes a column it reads;
- its invariants, checked by `violations()` (in the tests, on every fixture): `unique:` (a key),
  `not null:`, `accepted: <column> in (<values>)` and `check: <SQL true for every row>` (NULL passes,
  as in a CHECK constraint);
- `materialized: ephemeral` for a shared sub-query that is not stored but written into the models
  that read it as a `WITH`.

The rebuild order is the declared dependencies' topological order (`graphlib`); no list is kept by
hand. `refresh(cur, {"orders"})` after an import rebuilds what the change reaches, inside the
import's transaction; `sync(cur, …)` when a database is opened builds a model whose table is missing
or whose definition (the digest of its SQL, kept in `meta`) changed since it was built, and whatever
reads it. `{gap_steps}` and `{cohort_months}` in a file are the constants below.
"""
from __future__ import annotations

import functools
import graphlib
import hashlib
import re
from dataclasses import dataclass, field
from pathlib import Path

FOLDER = Path(__file__).resolve().parent
SOURCES = frozenset({"orders", "order_items", "members"})
COHORT_MONTHS = 12      # cohort_months keeps the cohort month and this many months after it
GAP_STEPS = 10          # purchase_gaps keeps the funnel steps 2 … GAP_STEPS
CONSTANTS = {"cohort_months": COHORT_MONTHS, "gap_steps": GAP_STEPS}


@dataclass(frozen=True)
class Model:
    name: str
    doc: str
    depends: dict[str, frozenset[str] | None]    # what it reads → the columns it reads (None: all)
    create: str | None                            # None: ephemeral
    select: str
    when_only: dict[str, tuple[frozenset[str], str]] = field(default_factory=dict)  # source → (columns, SQL)
    unique: tuple[tuple[str, ...], ...] = ()
    not_null: tuple[str, ...] = ()
    accepted: tuple[tuple[str, str], ...] = ()    # (column, SQL list)
    checks: tuple[str, ...] = ()
    digest: str = ""

    @property
    def ephemeral(self) -> bool:
        return self.create is None


_HEADER = re.compile(r"^--\s*(depends|unique|not null|accepted|check|materialized):\s*(.*)$")
_WHEN = re.compile(r"^--\s*when only (\w+) changed:\s*(.*)$")


def _names(text: str) -> tuple[str, ...]:
    return tuple(n.strip() for n in text.split(",") if n.strip())


def _depends(text: str) -> dict[str, frozenset[str] | None]:
    out = {}
    for m in re.finditer(r"(\w+)\s*(?:\(([^)]*)\))?", text):
        out[m.group(1)] = frozenset(_names(m.group(2))) if m.group(2) is not None else None
    return out


def parse(name: str, text: str) -> Model:
    """One model file → Model (raises ValueError naming the file when it is out of shape)."""
    text = text.format(**CONSTANTS)
    doc, decl, statements, current, when = [], {}, [], [], None
    accepted, checks, unique = [], [], []
    for line in text.splitlines():
        m, w = _HEADER.match(line.strip()), _WHEN.match(line.strip())
        if w:
            when = (w.group(1), frozenset(_names(w.group(2))))
        elif m:
            key, value = m.group(1), m.group(2).strip()
            if key == "check":
                checks.append(value)
            elif key == "unique":
                unique.append(_names(value))
            elif key == "accepted":
                col, _, values = value.partition(" in ")
                accepted.append((col.strip(), values.strip()))
            else:
                decl[key] = value
        elif line.startswith("--") and not statements and not current:
            doc.append(line[2:].strip())
        elif line.strip():
            current.append(line)
            if line.rstrip().endswith(";"):
                statements.append((when, "\n".join(current).rstrip().rstrip(";")))
                current, when = [], None
    if current:
        raise ValueError(f"{name}.sql: the last statement has no ';'")
    ephemeral = decl.get("materialized") == "ephemeral"
    main = [s for w, s in statements if w is None]
    if len(main) != (1 if ephemeral else 2) or "depends" not in decl:
        raise ValueError(f"{name}.sql: expected 'depends:', {'' if ephemeral else 'a CREATE TABLE and '}"
                         "one SELECT")
    create = None if ephemeral else main[0]
    if create is not None and not re.match(rf"CREATE TABLE {name}\b", create):
        raise ValueError(f"{name}.sql: the first statement must be CREATE TABLE {name}")
    body = "\n".join(s for _, s in statements)
    return Model(name=name, doc=" ".join(doc), depends=_depends(decl["depends"]), create=create,
                 select=main[-1], when_only={w[0]: (w[1], s) for w, s in statements if w is not None},
                 unique=tuple(unique), not_null=_names(decl.get("not null", "")), accepted=tuple(accepted),
                 checks=tuple(checks), digest=hashlib.sha256(body.encode()).hexdigest()[:16])


@functools.lru_cache(maxsize=1)
def load() -> dict[str, Model]:
    """Every model in this folder, in build order (dependencies first)."""
    models = {p.stem: parse(p.stem, p.read_text(encoding="utf-8")) for p in sorted(FOLDER.glob("*.sql"))}
    for m in models.values():
        unknown = set(m.depends) - set(models) - SOURCES
        if unknown:
            raise ValueError(f"{m.name}.sql depends on unknown {sorted(unknown)}")
    order = graphlib.TopologicalSorter(
        {m.name: [d for d in m.depends if d in models] for m in models.values()}).static_order()
    return {name: models[name] for name in order}


def stored() -> list[Model]:
    """The models that are tables, in build order."""
    return [m for m in load().values() if not m.ephemeral]


def _with_ephemerals(model: Model) -> str:
    """The model's SELECT with the ephemeral models it reads written in front as a WITH."""
    models, seen, ctes = load(), set(), []

    def visit(name: str) -> None:
        for dep in models[name].depends:
            if dep in models and models[dep].ephemeral and dep not in seen:
                visit(dep)
                seen.add(dep)
                ctes.append(f"{dep} AS ({models[dep].select})")
    visit(model.name)
    return f"WITH {', '.join(ctes)}\n{model.select}" if ctes else model.select


def plan(changed: set[str] | frozenset[str], rebuild: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """What to run, in order, when the sources `changed` changed (and the models in `rebuild` must be
    rebuilt anyway): [(model, 'build' | 'update:<source>')]. An update is the model's cheaper
    statement for when only that one source changed; it changes only the columns it declares, so a model that
    reads none of them is left alone."""
    changed_cols: dict[str, frozenset[str] | None] = {s: None for s in changed}   # None: the whole table
    steps = []
    for m in load().values():
        reached = {}
        for dep, cols in m.depends.items():
            if dep in changed_cols:
                touched = changed_cols[dep]
                if touched is None or cols is None or touched & cols:
                    reached[dep] = touched
        if m.name not in rebuild and not reached:
            continue
        if m.ephemeral:
            changed_cols[m.name] = None
            continue
        only = list(reached)
        if m.name not in rebuild and len(only) == 1 and only[0] in m.when_only and only[0] in SOURCES:
            steps.append((m.name, f"update:{only[0]}"))
            changed_cols[m.name] = m.when_only[only[0]][0]
        else:
            steps.append((m.name, "build"))
            changed_cols[m.name] = None
    return steps


def refresh(cur, changed: set[str] | frozenset[str], rebuild: set[str] | frozenset[str] = frozenset()) -> list[tuple[str, str]]:
    """Bring the models up to date after a write that changed the sources `changed`, in the caller's
    transaction; the models in `rebuild` are made again from their CREATE TABLE (their table may
    have another shape). Returns the steps run (see `plan`)."""
    models = load()
    steps = plan(changed, rebuild)
    for name, how in steps:
        m = models[name]
        if how.startswith("update:"):
            cur.execute(m.when_only[how.partition(":")[2]][1])
            continue
        exists = cur.execute("SELECT count(*) FROM information_schema.tables WHERE table_name = ?",
                             [name]).fetchone()[0]
        if exists and name not in rebuild and _built_digest(cur, name) == m.digest:
            cur.execute(f"DELETE FROM {name}")
        else:   # new, or built by another definition: made again
            cur.execute(f"DROP TABLE IF EXISTS {name}")
            cur.execute(m.create)
        cur.execute(f"INSERT INTO {name} {_with_ephemerals(m)}")
        cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"model:{name}", m.digest])
    return steps


def _built_digest(cur, name: str) -> str | None:
    row = cur.execute("SELECT value FROM meta WHERE key = ?", [f"model:{name}"]).fetchone()
    return row[0] if row else None


def sync(cur, *, migrated: bool) -> list[tuple[str, str]]:
    """On opening a database: build every model whose table is missing or whose definition changed
    since it was built (and what reads it). `migrated`: the schema was just moved up from an older
    version, whose tables may have another shape: every model is built. A database made before
    the models recorded their digests, at the current schema, has them recorded as they are."""
    tables = {r[0] for r in cur.execute("SELECT table_name FROM information_schema.tables").fetchall()}
    rebuild = set()
    for m in stored():
        digest = _built_digest(cur, m.name)
        if migrated or m.name not in tables:
            rebuild.add(m.name)
        elif digest is None:
            cur.execute("INSERT OR REPLACE INTO meta VALUES (?, ?)", [f"model:{m.name}", m.digest])
        elif digest != m.digest:
            rebuild.add(m.name)
    return refresh(cur, set(), rebuild) if rebuild else []


def _invariants(m: Model) -> list[tuple[str, str]]:
    """(SQL counting the rows that break it, what it says) for each invariant of a model."""
    out = [(f"SELECT count(*) FROM (SELECT {', '.join(k)} FROM {m.name} GROUP BY ALL HAVING count(*) > 1)",
            f"repeated value(s) of the key ({', '.join(k)})") for k in m.unique]
    out += [(f"SELECT count(*) FROM {m.name} WHERE {c} IS NULL", f"NULL value(s) in {c}") for c in m.not_null]
    out += [(f"SELECT count(*) FROM {m.name} WHERE {c} NOT IN {v}", f"value(s) of {c} not in {v}")
            for c, v in m.accepted]
    out += [(f"SELECT count(*) FROM {m.name} WHERE NOT ({c})", f"row(s) break {c}") for c in m.checks]
    return out


def violations(con) -> list[str]:
    """Every invariant a model's table breaks, in words (empty when all hold)."""
    out = []
    for m in stored():
        for sql, words in _invariants(m):
            n = con.execute(sql).fetchone()[0]
            if n:
                out.append(f"{m.name}: {n} {words}")
    return out
