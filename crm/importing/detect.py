"""Recognise a file's format from its header, and build the column mapping.

A mapping is `{canonical field: column position}`. It comes from (in order of precedence) the
user's explicit mapping, a mapping saved for this header signature, the best-matching platform
spec, or a guess from common column names (generic).
"""
from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field

from .errors import Refused
from .specs import (ALL_FIELDS, GENERIC, GENERIC_MEMBERS, SPECS, SPECS_BY_NAME, Spec,
                    normalize_header)

_KNOWN: set[str] = set()
for _s in (*SPECS, GENERIC, GENERIC_MEMBERS):
    for _aliases in _s.fields.values():
        _KNOWN.update(_aliases)


def header_score(cells: list[str]) -> int:
    """How many cells of a row are column names we know: finds the header row."""
    return sum(1 for c in cells if normalize_header(c) in _KNOWN)


def header_signature(header: list[str]) -> str:
    norm = "\x1f".join(normalize_header(h) for h in header)
    return hashlib.sha1(norm.encode("utf-8")).hexdigest()


@dataclass
class Detection:
    spec: Spec
    mapping: dict[str, int]
    guessed: bool = False            # generic guess from column names
    source: str = "spec"             # spec | saved | user | guess
    warnings: list[tuple[str, dict]] = field(default_factory=list)

    def named_mapping(self, header: list[str]) -> dict[str, str]:
        return {f: header[i] for f, i in self.mapping.items()}


def _positions(header: list[str]) -> dict[str, int]:
    """Normalised name → first position (duplicated names keep their first occurrence)."""
    pos: dict[str, int] = {}
    for i, h in enumerate(header):
        n = normalize_header(h)
        if n and n not in pos:
            pos[n] = i
    # `最后交易时间(yyyy-MM-dd HH:mm:ss)`, `Total (CNY)`: also known by the name before the brackets.
    for i, h in enumerate(header):
        base = _BRACKETS.sub("", normalize_header(h)).strip()
        if base and base not in pos:
            pos[base] = i
    return pos


_BRACKETS = re.compile(r"\s*[(（][^()（）]*[)）]$")


def map_spec(spec: Spec, header: list[str]) -> dict[str, int]:
    pos = _positions(header)
    mapping: dict[str, int] = {}
    used: set[int] = set()
    for fld, aliases in spec.fields.items():
        for alias in aliases:
            i = pos.get(alias)
            if i is not None and i not in used:
                mapping[fld] = i
                used.add(i)
                break
    return mapping


def _spec_matches(spec: Spec, header: list[str], mapping: dict[str, int]) -> bool:
    pos = _positions(header)
    if any(sig not in pos for sig in spec.signature):
        return False
    return all(f in mapping for f in spec.required)


def detect(header: list[str], file_name: str = "") -> Detection | None:
    """Best platform spec for this header, or None."""
    name = file_name.lower()
    best: tuple[float, Spec, dict[str, int]] | None = None
    for spec in SPECS:
        mapping = map_spec(spec, header)
        if not _spec_matches(spec, header, mapping):
            continue
        score = len(mapping) + 2 * len(spec.signature)
        if spec.filename_hint and re.search(spec.filename_hint, name):
            score += 5
        if best is None or score > best[0]:
            best = (score, spec, mapping)
    if best is None:
        return None
    det = Detection(spec=best[1], mapping=best[2])
    if best[1].kind == "orders" and "customer_id" not in best[2]:
        det.warnings.append(("warn_no_customer", {}))
    return det


# Words a seller's own table uses in a column's name, per field, strongest first; a name that
# also holds one of the field's `not` words is something else (a refund amount, a customer count).
# Names are compared compacted: lower-case, without spaces, `_`, `-`, `.`, `/`, `#`.
_WORDS: dict[str, dict[str, tuple[str, ...]]] = {
    "amount": {
        "words": ("实付", "实收", "付款金额", "支付金额", "成交金额", "订单金额", "grandtotal", "ordertotal", "totalpaid",
                  "amountpaid", "paidamount", "total", "金额", "总额", "总价", "合计", "amount", "revenue", "sales",
                  "销售额", "营业额", "dollars", "spend", "spent", "消费", "payment", "value", "gmv", "price"),
        "not": ("refund", "退款", "discount", "优惠", "折扣", "shipping", "运费", "邮费", "tax", "税", "count", "qty",
                "quantity", "数量", "件数", "date", "time", "日期", "时间", "编号", "unit", "单价", "each",
                "subtotal", "小计", "应付", "cost", "成本", "currency", "币"),
    },
    "customer_id": {
        "words": ("customerid", "clientid", "memberid", "userid", "buyerid", "会员id", "客户id", "用户id", "买家id",
                  "customer", "client", "member", "buyer", "shopper", "consumer", "user", "account", "nickname",
                  "客户", "会员", "顾客", "买家", "用户", "消费者", "昵称", "email", "邮箱"),
        "not": ("count", "number of", "numberof", "数量", "人数", "level", "等级", "tier", "type", "类型", "phone",
                "mobile", "手机", "电话", "address", "地址", "date", "time", "日期", "时间", "since", "city", "城市",
                "province", "省", "country", "国家", "group", "分组", "tag", "标签", "status", "状态", "note", "备注",
                "amount", "金额", "total", "spend", "积分", "point", "age", "年龄", "gender", "性别", "birth", "生日",
                "balance", "余额"),
    },
    "ordered_at": {
        "words": ("orderdate", "ordertime", "purchasedate", "saledate", "salesdate", "transactiondate", "invoicedate",
                  "下单", "成交时间", "成交日期", "消费时间", "消费日期", "购买", "交易时间", "交易日期", "datetime",
                  "timestamp", "date", "time", "日期", "时间", "created"),
        "not": ("paid", "payment", "付款", "支付", "ship", "发货", "deliver", "收货", "refund", "退款", "birth", "生日",
                "update", "modified", "修改", "完成", "finish", "close", "关闭", "cancel", "取消", "due", "expire",
                "到期", "register", "signup", "注册", "join", "入会", "last", "上次", "最后", "first", "首次"),
    },
    "order_id": {
        "words": ("orderid", "orderno", "ordernumber", "invoiceno", "invoicenumber", "invoiceid", "receiptno",
                  "transactionid", "txnid", "订单号", "订单编号", "订单id", "单号", "流水号", "小票号", "invoice",
                  "receipt"),
        "not": ("date", "time", "日期", "时间", "line", "item", "明细", "行"),
    },
    "quantity": {"words": ("quantity", "qty", "数量", "件数", "units", "pcs"), "not": ("price", "单价", "amount")},
    "price": {"words": ("unitprice", "priceeach", "单价", "price"), "not": ("total", "合计", "compare", "原价")},
    "sku": {"words": ("stockcode", "sku", "productcode", "itemcode", "productid", "itemid", "货号", "商品编码",
                      "商家编码", "商品id", "条码", "barcode"), "not": ()},
}
_COMPACT = re.compile(r"[\s_\-./#:：（）()]+")


def _compact(name: str) -> str:
    return _COMPACT.sub("", normalize_header(name))


def _word_rank(field: str, name: str) -> int | None:
    """The rank (0 = strongest) of the first of `field`'s words in a column name, or None."""
    words = _WORDS[field]
    c = _compact(name)
    if not c or any(n.replace(" ", "") in c for n in words["not"]):
        return None
    for rank, w in enumerate(words["words"]):
        if w in c:
            return rank
    return None


def _values_fit(field: str, values: list[str]) -> bool:
    """Do a column's sample values look like this field's (numbers for money, dates for times)?"""
    vals = [v.strip() for v in values if v and v.strip()]
    if not vals:
        return True
    if field in ("amount", "price", "quantity"):
        ok = sum(bool(_NUMBER.match(v)) for v in vals)
    elif field == "ordered_at":
        ok = sum(bool(_DATE_ISH.match(v)) for v in vals)
    else:
        return True
    return ok >= 0.8 * len(vals)


_NUMBER = re.compile(r"^[(（]?[-−+]?\s*[¥￥$€£]?\s*-?[\d,，]*\.?\d+\s*(元|rmb|cny|usd)?[)）]?$", re.I)
_DATE_ISH = re.compile(r"^(\d{4}[-/.年]\d{1,2}[-/.月]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|\d{8}|1\d{9,12})")


def _by_words(header: list[str], rows: list[list[str]] | None, mapping: dict[str, int]) -> bool:
    """Fill the order-log fields `mapping` lacks from the words in the column names, checked against
    the sample values. False when a required field has two equally good columns: then the user is
    asked, rather than one of them being picked silently."""
    used = set(mapping.values())
    for fld in ("order_id", "customer_id", "ordered_at", "amount", "quantity", "price", "sku"):
        if fld in mapping:
            continue
        cands = []
        for i, h in enumerate(header):
            if i in used:
                continue
            rank = _word_rank(fld, h)
            if rank is None:
                continue
            if rows is not None and not _values_fit(fld, [r[i] for r in rows if i < len(r)]):
                continue
            cands.append((rank, i))
        if not cands:
            continue
        cands.sort()
        if len(cands) > 1 and cands[0][0] == cands[1][0] and fld in ("customer_id", "ordered_at", "amount"):
            return False
        mapping[fld] = cands[0][1]
        used.add(cands[0][1])
    return True


def guess_generic(header: list[str], rows: list[list[str]] | None = None) -> Detection | None:
    """Column names we know from common tables: an order log, else a member table. Names not in
    the alias lists are recognised by the words they contain (`Grand Total (USD)`, `client_name`,
    `实付款`), checked against the first rows' values when they are given."""
    mapping = map_spec(GENERIC, header)
    if not _by_words(header, rows, mapping):
        return None
    if ("ordered_at" in mapping or "paid_at" in mapping) and ("amount" in mapping or
                                                        ("price" in mapping and "quantity" in mapping)):
        if "customer_id" not in mapping:
            return None
        return Detection(spec=GENERIC, mapping=mapping, guessed=True, source="guess")
    if "customer_id" in mapping and "ordered_at" in mapping:
        # An order log without an amount column: refused by check_required, naming what is missing.
        return Detection(spec=GENERIC, mapping=mapping, guessed=True, source="guess")
    mapping = map_spec(GENERIC_MEMBERS, header)
    if "customer_id" in mapping and ({"level", "trade_count", "trade_amount", "last_trade_at"} & set(mapping)):
        return Detection(spec=GENERIC_MEMBERS, mapping=mapping, guessed=True, source="guess")
    return None


def resolve_column(header: list[str], column: str) -> int:
    """A user's column reference: its name (spaces ignored), `columnN`, or a 1-based number."""
    target = normalize_header(column)
    pos = _positions(header)
    if target in pos:
        return pos[target]
    m = re.fullmatch(r"(?:column|col|c)?\s*(\d+)", target)
    if m:
        i = int(m.group(1)) - 1
        if 0 <= i < len(header):
            return i
    raise Refused("refused_unknown_column", column=column,
                  columns=", ".join(h.strip() or f"column{i + 1}" for i, h in enumerate(header)))


def apply_user_mapping(header: list[str], base: Detection | None, user: dict[str, str],
                       format_name: str | None) -> Detection:
    """The user's `--map FIELD=COLUMN` entries on top of the detected or chosen format."""
    if format_name:
        spec = SPECS_BY_NAME.get(format_name)
        if spec is None:
            raise Refused("refused_unknown_format", name=format_name, names=", ".join(SPECS_BY_NAME))
        if base is None or base.spec.name != spec.name:
            base = Detection(spec=spec, mapping=map_spec(spec, header), source="user")
    for fld in user:
        if fld not in ALL_FIELDS:
            raise Refused("refused_unknown_field", field=fld, fields=", ".join(ALL_FIELDS[:13]))
    if base is None:
        kind = "members" if not ({"amount", "ordered_at", "price"} & set(user)) else "orders"
        spec = GENERIC_MEMBERS if kind == "members" else GENERIC
        base = Detection(spec=spec, mapping={}, source="user")
    mapping = dict(base.mapping)
    for fld, col in user.items():
        i = resolve_column(header, col)
        for other, j in list(mapping.items()):
            if j == i and other != fld and other not in user:
                del mapping[other]
        mapping[fld] = i
    return Detection(spec=base.spec, mapping=mapping, source="user", warnings=list(base.warnings))


def check_required(det: Detection, header: list[str]) -> None:
    """Refuse a file whose mapping lacks what its kind needs, naming what is missing."""
    spec = det.spec
    need: list[str] = []
    if spec.kind == "orders":
        if "ordered_at" not in det.mapping and "paid_at" not in det.mapping:
            need.append("ordered_at")
        if "amount" not in det.mapping and not ("price" in det.mapping):
            need.append("amount")
        if spec.platform == "generic" and "customer_id" not in det.mapping:
            need.append("customer_id")
    elif spec.kind == "items":
        need += [f for f in ("order_id", "item_title") if f not in det.mapping]
    else:
        if "customer_id" not in det.mapping:
            need.append("customer_id")
    if need:
        raise Refused("refused_missing_columns", fields=",".join(need),
                      columns=", ".join(h.strip() for h in header if h.strip())[:300])


_ID = re.compile(r"^\d{1,12}$")
_DATE8 = re.compile(r"^(19|20)\d{2}(0[1-9]|1[0-2])(0[1-9]|[12]\d|3[01])$")
_DATE = re.compile(r"^(19|20)\d{2}[-/.](0?[1-9]|1[0-2])[-/.](0?[1-9]|[12]\d|3[01])([ T]\d{1,2}:\d{2}(:\d{2})?)?$")
_DECIMAL = re.compile(r"^-?\d+\.\d{1,2}$")
_INT = re.compile(r"^\d{1,4}$")


def guess_by_values(header: list[str], rows: list[list[str]]) -> Detection | None:
    """A file without a header (CDNOW_master.txt: `00001 19970101 1 11.77`): recognise a
    transaction log by what its columns hold — an id, a date, a small count, an amount."""
    if len(rows) < 3:
        return None
    n = len(header)
    cols = [[r[i].strip() for r in rows if i < len(r) and r[i].strip()] for i in range(n)]

    def share(i, pattern):
        return sum(bool(pattern.match(v)) for v in cols[i]) / max(len(cols[i]), 1)
    dates = [i for i in range(n) if cols[i] and (share(i, _DATE8) == 1 or share(i, _DATE) == 1)]
    amounts = [i for i in range(n) if cols[i] and i not in dates and share(i, _DECIMAL) >= 0.9]
    ints = [i for i in range(n) if cols[i] and i not in dates and share(i, _INT) == 1]
    ids = [i for i in range(n) if cols[i] and i not in dates and i not in amounts and share(i, _ID) == 1]
    if len(dates) != 1 or len(amounts) != 1 or not ids:
        return None
    customer = ids[0]
    mapping = {"customer_id": customer, "ordered_at": dates[0], "amount": amounts[0]}
    qty = [i for i in ints if i != customer]
    if qty:
        mapping["quantity"] = qty[0]
    return Detection(spec=GENERIC, mapping=mapping, guessed=True, source="guess")
