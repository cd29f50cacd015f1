"""Privacy: the shop can choose never to keep customers' contact details.

Setting `privacy_drop_contacts` (settings table, "1" = on, default off). When on, an import keeps
no contact field: the order's phone and receiver, and the member's phone, name and e-mail are blanked
in the import's staging table *before* anything is merged, so they never reach the database file;
the order's address is cut down to its province and city (what the analyses read from it; they are
stored in their own columns anyway). The text of rejected rows keeps none of them either. The buyer ID (customer_id) stays:
it is how repeat purchases are counted (for Shopify it is the e-mail address).

- `scrub(cur, mapping, rejects)` — the import's hook, inside its transaction, right after the
  staging table `stg` is built (a no-op while the setting is off).
- `scrub_now(db)` — blank the contact fields of everything already imported (one transaction).

Without contacts, target lists simply have empty phone / receiver / address columns.
"""
from __future__ import annotations

from .db import Database

SETTING = "privacy_drop_contacts"
CONTACT_FIELDS = ("phone", "receiver", "address", "name", "email")   # canonical import fields
ORDER_CONTACTS = ("phone", "receiver", "address")
MEMBER_CONTACTS = ("phone", "name", "email")


# An address cut down to what the importer reads from it (province and city, crm/importing/pipeline.py
# `split_part(address, ' ', 1 / 2)`): '广东省 广州市 越秀区 华乐街道12号' → '广东省 广州市'. Without
# spaces, the province and city are recognised by their endings: '浙江省杭州市西湖区…' → '浙江省 杭州市',
# '北京市朝阳区…' → '北京市'; nothing recognised, or digits in the first two parts ('12 Main St') → NULL.
_PROVINCE_RE = "^(.{1,8}?(?:特别行政区|自治区|省|市))"
_CITY_RE = "^.{1,8}?(?:特别行政区|自治区|省|市)(.{1,12}?(?:自治州|地区|市|盟))"
COARSE_ADDRESS_SQL = f"""(CASE WHEN address IS NULL THEN NULL
    WHEN contains(address, ' ') AND regexp_matches(split_part(address, ' ', 1) || ' ' || split_part(address, ' ', 2),
                                                   '[0-9０-９]') THEN NULL  -- '123 Main Street': a street, not a region
    WHEN contains(address, ' ') THEN
        nullif(concat_ws(' ', nullif(split_part(address, ' ', 1), ''), nullif(split_part(address, ' ', 2), '')), '')
    WHEN regexp_extract(address, '{_PROVINCE_RE}', 1) = '' THEN NULL
    WHEN regexp_extract(address, '{_PROVINCE_RE}', 1) LIKE '%市' THEN regexp_extract(address, '{_PROVINCE_RE}', 1)
    ELSE concat_ws(' ', regexp_extract(address, '{_PROVINCE_RE}', 1),
                   nullif(regexp_extract(address, '{_CITY_RE}', 1), '')) END)"""


def drop_contacts(db: Database) -> bool:
    return db.get_setting(SETTING, "0") == "1"


def set_drop_contacts(db: Database, on: bool) -> None:
    db.set_setting(SETTING, "1" if on else "0")


def _enabled(cur) -> bool:
    row = cur.execute("SELECT value FROM settings WHERE key = ?", [SETTING]).fetchone()
    return bool(row) and row[0] == "1"


def _columns(cur, table: str) -> set[str]:
    try:
        return {r[0] for r in cur.execute(f"DESCRIBE {table}").fetchall()}
    except Exception:  # noqa: BLE001 — the table does not exist in this import
        return set()


def scrub(cur, mapping: dict | None = None, rejects: list | None = None) -> list | None:
    """The import's privacy hook. Call it inside the import transaction right after `stg` is built
    (crm/importing/pipeline.py, after `_stage_clean(cur, det, dec)`):

        rejects = privacy.scrub(cur, det.mapping, rejects)

    When the setting is on: the contact columns of `stg` become NULL (the address: its province and
    city, COARSE_ADDRESS_SQL); the lines already in `rejects` (the ones the reader could not split
    into columns) lose their text. The text of rows rejected later leaves out the columns
    `hidden_columns` names. Returns `rejects` (a new list when changed). Off: changes nothing."""
    if not _enabled(cur):
        return rejects
    cols = _columns(cur, "stg")
    sets = [f"{c} = NULL" for c in CONTACT_FIELDS if c in cols and c != "address"]
    if "address" in cols:  # the importer reads province and city from it: keep just those
        sets.append(f"address = {COARSE_ADDRESS_SQL}")
    if sets:
        cur.execute(f"UPDATE stg SET {', '.join(sets)}")
    if rejects is None:
        return None
    # at this point the list holds the lines the CSV reader could not split (their columns cannot be
    # told apart): they lose their text ('' rather than NULL: NULL asks the importer to fill the text in)
    return [(r[0], r[1], r[2], None if r[2] in CONTACT_FIELDS else r[3], r[4], "" if r[5] is not None else None)
            for r in rejects]


def hidden_columns(cur, mapping: dict | None) -> set[int]:
    """Positions of the file's columns ({field: column index} `mapping`) that hold a contact field,
    when the setting is on: a rejected or returned row's text leaves them empty. Off: none."""
    if not _enabled(cur):
        return set()
    return {int(i) for f, i in (mapping or {}).items() if f in CONTACT_FIELDS}


def scrub_tables(cur) -> dict[str, int]:
    """Blank the contact fields already stored (inside a write transaction): orders' phone, receiver
    and address, members' phone, name and e-mail, and the text of rejected rows and of returns. Returns the number of
    rows changed per table."""
    def update(table: str, sets: str, where: str) -> int:
        n = cur.execute(f"SELECT count(*) FROM {table} WHERE {where}").fetchone()[0]
        if n:
            cur.execute(f"UPDATE {table} SET {sets} WHERE {where}")
        return int(n)
    listed = ", ".join(f"'{c}'" for c in CONTACT_FIELDS)
    return {
        "orders": update("orders", ", ".join(f"{c} = NULL" for c in ORDER_CONTACTS),
                         " OR ".join(f"{c} IS NOT NULL" for c in ORDER_CONTACTS)),
        "members": update("members", ", ".join(f"{c} = NULL" for c in MEMBER_CONTACTS),
                          " OR ".join(f"{c} IS NOT NULL" for c in MEMBER_CONTACTS)),
        "rejects": update("rejects", f"raw = NULL, value = CASE WHEN column_name IN ({listed}) THEN NULL ELSE value END",
                          f"(raw IS NOT NULL AND raw <> '') OR (column_name IN ({listed}) AND value IS NOT NULL)"),
        "returns": update("returns", "raw = NULL", "raw IS NOT NULL AND raw <> ''"),
    }


def scrub_now(db: Database) -> dict[str, int]:
    """Blank the contact fields of everything already imported, in one transaction, then checkpoint
    so the database file is rewritten without them. Returns the rows changed per table."""
    with db.write() as cur:
        counts = scrub_tables(cur)
        if any(counts.values()):
            db.bump_version(cur)
    if any(counts.values()):
        try:
            with db.read() as cur:
                cur.execute("CHECKPOINT")
        except Exception:  # noqa: BLE001 — another reader is busy; DuckDB checkpoints on its own later
            pass
    return counts


def stored_contacts(db: Database) -> dict[str, int]:
    """How many orders and members hold a contact field now (orders: phone, receiver, address)."""
    return {
        "orders": int(db.scalar("SELECT count(*) FROM orders WHERE "
                                + " OR ".join(f"{c} IS NOT NULL" for c in ORDER_CONTACTS)) or 0),
        "members": int(db.scalar("SELECT count(*) FROM members WHERE "
                                 + " OR ".join(f"{c} IS NOT NULL" for c in MEMBER_CONTACTS)) or 0),
    }
