"""Platform export formats as data: header signature, aliases per canonical field, quirks.

Adding a platform is one `Spec` here, a fixture file and a test. Header names are compared after
`normalize_header` (whitespace stripped, ASCII lower-cased), so aliases are written normalised.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

# Canonical fields. The first thirteen are the public ones (`--map FIELD=COLUMN`, README); the
# rest are kept when a format has them.
CANONICAL_FIELDS = (
    "order_id", "customer_id", "ordered_at", "paid_at", "status", "amount", "refund",
    "quantity", "item_title", "level", "phone", "province", "city",
)
EXTRA_FIELDS = (
    "shop", "receiver", "address", "after_sale", "line_id", "price", "sku", "attributes",
    "email", "name", "trade_count", "trade_amount", "last_trade_at", "level_code", "joined_at", "birthday",
)
ALL_FIELDS = CANONICAL_FIELDS + EXTRA_FIELDS
DATE_FIELDS = ("ordered_at", "paid_at", "last_trade_at", "joined_at")
MONEY_FIELDS = ("amount", "refund", "price", "trade_amount")
INT_FIELDS = ("quantity", "trade_count", "level_code")

_WS = re.compile(r"[\s\u3000\ufeff\u200b]+")


def normalize_header(name: str | None) -> str:
    """`'订单付款时间 '` → `'订单付款时间'`; `' Order ID'` → `'order id'`."""
    if name is None:
        return ""
    text = _WS.sub(" ", str(name)).strip().strip('"').strip("'").strip()
    return text.lower()


@dataclass(frozen=True)
class Spec:
    name: str
    kind: str                      # orders | items | members
    platform: str
    label: dict[str, str]
    fields: dict[str, tuple[str, ...]]
    signature: tuple[str, ...]     # every one of these headers must be present
    required: tuple[str, ...]      # canonical fields that must map for a file to import
    line_level: bool = False       # several rows per order (one per item line)
    amount_scope: str = "order"    # "order": the order amount repeats on each line; "line": sum lines
    has_customer: bool = True      # False: the platform exports no buyer key (PDD, Douyin)
    filename_hint: str = ""        # regex on the file name, used to break ties
    level_codes: dict[str, str] = field(default_factory=dict)


TAOBAO_LEVELS = {"0": "店铺客户", "1": "普通会员", "2": "高级会员", "3": "VIP会员", "4": "至尊VIP会员"}
LEVEL_NAMES = tuple(TAOBAO_LEVELS.values())
LEVEL_ALIASES = {  # other labels seen for the same Taobao levels → code
    "店铺客户": 0, "无会员等级": 0, "店铺会员": 0, "非会员": 0,
    "普通会员": 1, "普通客户": 1, "店铺普通会员": 1,
    "高级会员": 2, "店铺中级会员": 2,
    "vip会员": 3, "店铺高级会员": 3, "vip": 3,
    "至尊vip会员": 4, "至尊vip": 4, "店铺vip会员": 4,
}

SPECS: tuple[Spec, ...] = (
    Spec(
        name="taobao_orders", kind="orders", platform="taobao",
        label={"zh": "淘宝/天猫 订单报表", "en": "Taobao/Tmall order report"},
        fields={
            "order_id": ("订单编号",),
            "customer_id": ("买家会员名", "买家会员昵称", "买家昵称"),
            "ordered_at": ("订单创建时间",),
            "paid_at": ("订单付款时间",),
            "status": ("订单状态",),
            "amount": ("买家实际支付金额",),
            "refund": ("退款金额",),
            "quantity": ("宝贝总数量",),
            "item_title": ("宝贝标题",),
            "phone": ("联系手机", "买家手机号"),
            "receiver": ("收货人姓名",),
            "address": ("收货地址",),
            "shop": ("店铺名称",),
        },
        signature=("订单编号", "订单状态", "买家实际支付金额"),
        required=("order_id", "ordered_at", "amount"),
        filename_hint=r"exportorderlist",
    ),
    Spec(
        name="taobao_items", kind="items", platform="taobao",
        label={"zh": "淘宝/天猫 宝贝报表（订单明细）", "en": "Taobao/Tmall order items"},
        fields={
            "order_id": ("订单编号", "主订单编号"),
            "line_id": ("子订单编号",),
            "item_title": ("标题",),
            "price": ("价格",),
            "quantity": ("购买数量",),
            "attributes": ("商品属性",),
            "sku": ("商家编码", "外部系统编号"),
            "status": ("订单状态",),
            "amount": ("买家实际支付金额",),
        },
        signature=("标题", "价格", "购买数量"),
        required=("order_id", "item_title"),
        line_level=True, amount_scope="line",
        filename_hint=r"exportorderdetaillist",
    ),
    Spec(
        name="taobao_members", kind="members", platform="taobao",
        label={"zh": "淘宝/天猫 会员（客户）导出", "en": "Taobao/Tmall member export"},
        fields={
            "customer_id": ("买家昵称", "客户昵称", "会员名", "买家会员名"),
            "level_code": ("会员等级编号",),
            "level": ("会员等级",),
            "trade_count": ("交易成功笔数", "交易笔数"),
            "trade_amount": ("交易成功金额", "交易总金额", "交易金额"),
            "last_trade_at": ("最后交易时间", "上次交易时间"),
            "phone": ("手机号", "手机"),
            "province": ("地区", "省份"),
            "city": ("城市",),
        },
        signature=("买家昵称",),
        required=("customer_id",),
        level_codes=TAOBAO_LEVELS,
    ),
    Spec(
        name="shopify_orders", kind="orders", platform="shopify",
        label={"zh": "Shopify 订单导出", "en": "Shopify orders export"},
        fields={
            "order_id": ("name",),
            "customer_id": ("email",),
            "ordered_at": ("created at",),
            "paid_at": ("paid at",),
            "status": ("financial status",),
            "amount": ("total",),
            "refund": ("refunded amount",),
            "quantity": ("lineitem quantity",),
            "item_title": ("lineitem name",),
            "price": ("lineitem price",),
            "sku": ("lineitem sku",),
            "phone": ("phone", "billing phone", "shipping phone"),
            "receiver": ("shipping name", "billing name"),
            "province": ("shipping province name", "shipping province", "billing province"),
            "city": ("shipping city", "billing city"),
        },
        signature=("name", "financial status", "lineitem name", "total"),
        required=("order_id", "ordered_at", "amount"),
        line_level=True, amount_scope="order",
        filename_hint=r"orders_export",
    ),
    Spec(
        name="shopify_customers", kind="members", platform="shopify",
        label={"zh": "Shopify 客户导出", "en": "Shopify customers export"},
        fields={
            "customer_id": ("email",),
            "name": ("first name",),
            "phone": ("phone", "default address phone"),
            "province": ("default address province code", "province"),
            "city": ("default address city", "city"),
            "trade_amount": ("total spent",),
            "trade_count": ("total orders",),
        },
        signature=("email", "total spent", "total orders"),
        required=("customer_id",),
        filename_hint=r"customers_export",
    ),
    Spec(
        name="jd_orders", kind="orders", platform="jd",
        label={"zh": "京东 订单导出", "en": "JD order export"},
        fields={
            "order_id": ("订单号",),
            "customer_id": ("下单帐号", "下单账号"),
            "ordered_at": ("下单时间",),
            "paid_at": ("付款确认时间",),
            "status": ("订单状态",),
            "amount": ("应付金额", "订单金额"),
            "quantity": ("订购数量",),
            "item_title": ("商品名称",),
            "sku": ("商品id",),
            "price": ("京东价",),
            "receiver": ("客户姓名",),
            "address": ("客户地址",),
            "phone": ("联系电话",),
        },
        signature=("订单号", "下单时间", "订购数量"),
        required=("order_id", "ordered_at", "amount"),
        line_level=True, amount_scope="order",
    ),
    Spec(
        name="douyin_orders", kind="orders", platform="douyin",
        label={"zh": "抖店 订单导出", "en": "Douyin shop order export"},
        fields={
            "order_id": ("主订单编号",),
            "line_id": ("子订单编号",),
            "ordered_at": ("订单提交时间",),
            "paid_at": ("支付完成时间",),
            "status": ("订单状态",),
            "after_sale": ("售后状态",),
            "amount": ("订单应付金额",),
            "quantity": ("商品数量",),
            "item_title": ("选购商品",),
            "sku": ("商家编码",),
            "receiver": ("收件人",),
            "phone": ("收件人手机号",),
            "address": ("详细地址",),
            "province": ("省",),
            "city": ("市",),
        },
        signature=("主订单编号", "子订单编号", "订单提交时间"),
        required=("order_id", "ordered_at", "amount"),
        line_level=True, amount_scope="line", has_customer=False,
    ),
    Spec(
        name="youzan_orders", kind="orders", platform="youzan",
        label={"zh": "有赞 订单导出", "en": "Youzan order export"},
        fields={
            "order_id": ("订单号",),
            "customer_id": ("买家昵称", "买家手机号"),
            "ordered_at": ("订单创建时间",),
            "paid_at": ("买家付款时间",),
            "status": ("订单状态",),
            "amount": ("订单实付金额",),
            "refund": ("订单已退款金额",),
            "item_title": ("全部商品名称",),
            "receiver": ("收货人/提货人",),
            "phone": ("收货人手机号/提货人手机号",),
            "province": ("收货人省份",),
            "city": ("收货人城市",),
            "address": ("详细收货地址/提货地址",),
            "shop": ("归属店铺",),
        },
        signature=("订单号", "订单实付金额", "买家付款时间"),
        required=("order_id", "ordered_at", "amount"),
    ),
    Spec(
        name="youzan_customers", kind="members", platform="youzan",
        label={"zh": "有赞 客户导出", "en": "Youzan customer export"},
        fields={
            "customer_id": ("客户昵称", "客户手机号"),
            "name": ("客户姓名",),
            "phone": ("客户手机号",),
            "level": ("免费等级", "付费等级"),
            "trade_count": ("消费次数",),
            "trade_amount": ("消费金额",),
            "last_trade_at": ("上次消费时间",),
            "joined_at": ("成为客户时间",),
            "birthday": ("客户生日",),
            "province": ("所属区域",),
        },
        signature=("客户昵称", "消费次数", "消费金额"),
        required=("customer_id",),
    ),
    Spec(
        name="pinduoduo_orders", kind="orders", platform="pinduoduo",
        label={"zh": "拼多多 订单导出", "en": "Pinduoduo order export"},
        fields={
            "order_id": ("订单号",),
            "ordered_at": ("订单成交时间", "支付时间", "拼单成功时间"),
            "paid_at": ("支付时间",),
            "status": ("订单状态",),
            "after_sale": ("售后状态",),
            "amount": ("用户实付金额(元)", "用户实付金额（元）"),
            "quantity": ("商品数量(件)", "商品数量（件）"),
            "item_title": ("商品",),
            "receiver": ("收货人",),
            "phone": ("手机",),
            "province": ("省",),
            "city": ("市",),
        },
        signature=("订单号", "商品总价(元)", "订单状态"),
        required=("order_id", "ordered_at", "amount"),
        has_customer=False,
    ),
)

# Aliases used to guess columns of a file no spec recognises (normalised names).
GENERIC_ALIASES: dict[str, tuple[str, ...]] = {
    "order_id": ("订单号", "订单编号", "订单id", "单号", "交易号", "order id", "order_id", "orderid",
                 "order no", "order_no", "order number", "order_number", "invoice", "invoiceno",
                 "invoice no", "invoice_no", "transaction_id", "transaction id"),
    "customer_id": ("客户id", "客户编号", "客户", "客户名", "客户昵称", "会员id", "会员", "会员名", "会员编号",
                    "买家", "买家id", "买家昵称", "买家会员名", "用户id", "用户", "用户名", "customer id",
                    "customer_id", "customerid", "customer", "cust_id", "user_id", "userid", "user id",
                    "user", "buyer", "buyer_id", "buyer id", "member_id", "member id", "member", "email",
                    "e-mail"),
    "ordered_at": ("下单时间", "订单时间", "订单日期", "交易时间", "交易日期", "购买时间", "购买日期", "创建时间",
                   "日期", "时间", "order_dt", "order_date", "orderdate", "order date", "order_time",
                   "order time", "created_at", "created at", "created", "invoicedate", "invoice date",
                   "purchase_date", "purchase date", "date", "datetime", "time", "timestamp",
                   "transaction_date", "transaction date"),
    "paid_at": ("付款时间", "支付时间", "paid_at", "paid at", "payment_date", "payment date"),
    "status": ("订单状态", "状态", "交易状态", "status", "order_status", "order status"),
    "amount": ("实付金额", "支付金额", "订单金额", "消费金额", "交易金额", "实收金额", "成交金额", "销售额", "金额",
               "amount", "order_amount", "order amount", "total", "order_total", "order total",
               "total_amount", "revenue", "sales", "paid_amount", "payment", "payment_value", "value",
               "gmv", "spend"),
    "refund": ("退款金额", "refund", "refunded", "refund_amount", "refunded amount"),
    "quantity": ("数量", "件数", "购买数量", "商品数量", "quantity", "qty", "order_products", "items",
                 "units"),
    "price": ("单价", "unitprice", "unit_price", "unit price", "price"),
    "item_title": ("商品名称", "商品", "宝贝标题", "标题", "品名", "product", "product_name", "product name",
                   "item", "item_name", "item name", "description", "title"),
    "level": ("会员等级", "等级", "level", "tier", "member level"),
    "phone": ("手机号", "手机", "电话", "联系电话", "phone", "mobile", "telephone"),
    "province": ("省份", "省", "地区", "province", "state", "region"),
    "city": ("城市", "市", "city"),
    "shop": ("店铺", "店铺名称", "shop", "store"),
}

# A table that uses the canonical field names themselves (`ordered_at`, `customer_id`, …) is recognised.
for _fld in GENERIC_ALIASES:
    if _fld not in GENERIC_ALIASES[_fld]:
        GENERIC_ALIASES[_fld] = GENERIC_ALIASES[_fld] + (_fld,)

# Every platform's own names for a field are good guesses for a table no spec recognises.
for _spec in SPECS:
    for _fld, _aliases in _spec.fields.items():
        if _fld in GENERIC_ALIASES and _spec.kind == "orders":
            GENERIC_ALIASES[_fld] = GENERIC_ALIASES[_fld] + tuple(a for a in _aliases if a not in GENERIC_ALIASES[_fld])

SPECS_BY_NAME = {s.name: s for s in SPECS}
GENERIC = Spec(
    name="generic", kind="orders", platform="generic",
    label={"zh": "通用表格（按列名识别）", "en": "Generic table (columns by name)"},
    fields=GENERIC_ALIASES, signature=(), required=("customer_id", "ordered_at", "amount"),
)
GENERIC_MEMBERS = Spec(
    name="generic_members", kind="members", platform="generic",
    label={"zh": "通用会员表", "en": "Generic member table"},
    fields={**GENERIC_ALIASES,
            "trade_count": ("交易笔数", "交易次数", "消费次数", "购买次数", "orders", "order_count",
                            "total orders", "orders_count"),
            "trade_amount": ("交易金额", "消费金额", "累计消费", "total spent", "total_spend",
                             "total spend"),
            "last_trade_at": ("最后交易时间", "上次交易时间", "上次消费时间", "last_order", "last order",
                              "last_purchase", "last purchase", "date_last_active"),
            "birthday": ("生日", "客户生日", "会员生日", "出生日期", "birthday", "birth_date", "birth date",
                         "date of birth", "date_of_birth", "dob")},
    signature=(), required=("customer_id",),
)
SPECS_BY_NAME["generic"] = GENERIC
SPECS_BY_NAME["generic_members"] = GENERIC_MEMBERS
FORMAT_NAMES = tuple(SPECS_BY_NAME)

# Platform status words → canonical state. Matched after lower-casing and removing spaces;
# a JD prefix like "(删除)" is removed first. Anything else is "other" (and reported).
STATUS_WORDS: dict[str, str] = {}
for _state, _words in {
    "unpaid": ("买家未付款", "等待买家付款", "待付款", "待支付", "未付款", "待买家付款", "等待付款", "pending",
               "unpaid", "awaiting payment", "待成团", "未支付"),
    "paid": ("买家已付款，等待卖家发货", "买家已付款,等待卖家发货", "等待卖家发货", "待发货", "已付款", "已支付",
             "付款成功", "支付成功", "等待出库", "待出库", "等待发货", "已付款待发货", "paid", "authorized",
             "partially_paid", "partially paid", "待确认", "正在出库", "等待打包"),
    "shipped": ("卖家已发货，等待买家确认", "卖家已发货,等待买家确认", "已发货", "待收货", "等待确认收货",
                "等待买家确认收货", "已发货，待签收", "已发货,待签收", "已发货待签收", "shipped", "fulfilled",
                "等待收货", "配送中"),
    "completed": ("交易成功", "已完成", "完成", "交易完成", "已收货", "已签收", "completed", "complete",
                  "success", "已确认收货"),
    "closed": ("交易关闭", "已关闭", "已取消", "取消", "订单取消", "交易取消", "关闭", "cancelled", "canceled",
               "voided", "void", "closed", "锁定", "订单关闭"),
    "refunded": ("refunded", "退款成功", "已退款", "全额退款", "退款完成", "已全额退款"),
    "partially_refunded": ("partially_refunded", "partially refunded", "部分退款", "部分退款成功"),
    "none": ("无售后或售后取消", "无售后", "售后取消", "售后关闭", "退款关闭", "-"),
}.items():
    for _w in _words:
        STATUS_WORDS[_w.replace(" ", "").lower()] = _state
PAID_STATES = ("paid", "shipped", "completed", "refunded", "partially_refunded")
UNPAID_STATES = ("unpaid", "closed")
