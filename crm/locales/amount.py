"""Strings of the purchase-amount page (会员交易金额): bands, percentiles, Pareto, by level."""

ZH = {
    "amount_title": "会员交易金额",
    "amount_intro": (
        "笔单价 = 成交金额 ÷ 成交订单数（每笔订单值多少）；客单价 = 成交金额 ÷ 成交客户数（每位客户花多少）。"
        "金额按（实付金额 − 退款金额）计，0 元成交订单算作成交、金额为 0，落在最低一档。"
    ),
    "amount_no_buyer_note": (
        "有 {purchases} 笔成交订单（{gmv}）没有买家标识：计入笔单价分布，但不计入客单价、帕累托和会员等级的数字。"
    ),
    "amount_no_buyers": "当前范围内的成交订单都没有买家标识（例如拼多多、抖店导出），客户层面的图表无法计算；笔单价分布照常显示。",
    # -- editable bands ---------------------------------------------------------------------------
    "amount_bands_title": "调整金额分档",
    "amount_order_edges_label": "笔单价分档（元，分界点，用逗号隔开）",
    "amount_order_edges_help": "例如 50, 100, 200 分成 <50、50–100、100–200、200+ 四档。恰好等于分界点的金额归入上一档（100 元在 100–200）。",
    "amount_buyer_edges_label": "客户成交金额分档（元，分界点，用逗号隔开）",
    "amount_buyer_edges_help": "每位客户在范围内的成交金额合计按这些分界点分档。恰好等于分界点的金额归入上一档。",
    "amount_which_order": "笔单价分档",
    "amount_which_buyer": "客户成交金额分档",
    "amount_edges_empty": "{which}：请至少填一个分界点。",
    "amount_edges_not_number": "{which}：“{value}”不是数字。请只填数字，用逗号隔开（不要写 ¥ 或千分位逗号）。",
    "amount_edges_not_positive": "{which}：分界点必须大于 0（“{value}”不行）。",
    "amount_edges_not_rising": "{which}：分界点必须从小到大排列且不重复（{b} 不大于 {a}）。",
    "amount_edges_too_many": "{which}：最多 {max} 个分界点。",
    "amount_edges_too_big": "{which}：分界点“{value}”太大（最多 {max}）。",
    "amount_edges_decimals": "{which}：“{value}”最多保留两位小数（分）。",
    "amount_edges_using_default": "暂用默认分档。",
    # -- order value distribution ------------------------------------------------------------------
    "amount_order_title": "笔单价分布：每笔成交订单的金额",
    "amount_order_chart": "各笔单价档的订单占比与金额占比",
    "amount_order_caption": (
        "蓝柱是订单数占比，红柱是成交金额占比。红柱高于蓝柱的档位贡献了超出其订单数的金额；"
        "想提高笔单价，可针对最大的低价档设置满减门槛或搭配套装，把订单推到上一档。"
    ),
    "amount_pct_title": "笔单价分位数",
    "amount_pct_caption": "P50 是中位数：一半订单低于它。P25–P75 是“典型订单”的范围，满减门槛定在 P50–P75 之间最容易被凑单够到。",
    "amount_p25": "P25",
    "amount_p50": "P50（中位数）",
    "amount_p75": "P75",
    "amount_p90": "P90",
    # -- buyer spend distribution ------------------------------------------------------------------
    "amount_buyer_title": "客单价分布：每位成交客户的成交金额",
    "amount_buyer_chart": "各消费档的客户占比与金额占比",
    "amount_buyer_caption": (
        "每位客户在范围内的成交金额合计。蓝柱是客户数占比，红柱是成交金额占比；"
        "人数少但金额占比高的档位是值得专门维护的高价值客户，人数最多的低档是拉新后需要促复购的对象。"
    ),
    "amount_buyer_pct_title": "客户成交金额分位数",
    "amount_buyer_pct_caption": "按每位客户的成交金额合计计算（不含无买家标识的订单）。P90 以上就是消费最高的一成客户。",
    # -- Pareto ---------------------------------------------------------------------------------------
    "amount_pareto_title": "帕累托曲线：成交金额集中在多少客户身上",
    "amount_pareto_chart": "前 x% 客户贡献的成交金额占比",
    "amount_pareto_caption": (
        "客户按成交金额从高到低排序，曲线读作“前 x% 的客户贡献了 y% 的成交金额”。曲线越靠左上，金额越集中在少数客户："
        "集中度高时优先维护头部客户（专属权益、复购提醒），集中度低时重点是让普通客户多买。"
    ),
    "amount_pareto_headline": "前 20% 的客户（{buyers} 位）贡献了 {share} 的成交金额。",
    "amount_pareto_headline_none": "客户的成交金额合计为 0，无法计算集中度。",
    "amount_top_label": "前 {pct}% 客户",
    "amount_top_help": "前 {pct}% 客户 = 按成交金额从高到低排序的前 ⌈{pct}% × 成交客户数⌉ 位客户（金额相同按客户编号），共 {buyers} 位。",
    "amount_pareto_equal": "人人花得一样多",
    "amount_pareto_curve": "累计成交金额占比",
    "amount_pareto_tops": "前 x% 客户",
    "amount_pareto_hover": "前 {buyers} 的客户 → {gmv} 的成交金额",
    "amount_pareto_marker": "前{pct}%: {share}",
    "amount_pareto_top_hover": "前 {pct}% 客户（{buyers} 位）<br>成交金额 {gmv}<br>占比 {share}",
    "amount_pareto_x": "客户占比（按成交金额从高到低）",
    "amount_pareto_y": "累计成交金额占比",
    # -- by level ----------------------------------------------------------------------------------------
    "amount_level_title": "各会员等级的笔单价与客单价",
    "amount_level_chart": "笔单价与客单价（按会员等级）",
    "amount_level_caption": (
        "等级按统计截止日计算（有会员导出用导出等级，否则按等级规则）。客单价随等级升高是正常的；"
        "若高等级的笔单价并不更高，说明他们靠多次购买升级，可用组合装或满赠提高单笔金额。"
    ),
    # -- charts and tables -------------------------------------------------------------------------------
    "amount_share_purchases": "订单占比",
    "amount_share_buyers": "客户占比",
    "amount_share_gmv": "金额占比",
    "amount_axis_order_value": "笔单价（元）",
    "amount_axis_buyer_spend": "客户成交金额（元）",
    "amount_col_order_band": "笔单价区间（元）",
    "amount_col_buyer_band": "客户成交金额区间（元）",
    "amount_col_purchases": "成交订单",
    "amount_col_buyers": "成交客户数",
    "amount_col_share_purchases": "订单占比",
    "amount_col_share_buyers": "客户占比",
    "amount_col_gmv": "成交金额",
    "amount_col_share_gmv": "金额占比",
    "amount_col_top": "前 x% 客户",
    "amount_col_level": "会员等级",
    "amount_col_aov": "笔单价",
    "amount_col_aspb": "客单价",
    "amount_file_order_bands": "笔单价分布",
    "amount_file_buyer_bands": "客单价分布",
    "amount_file_pareto": "客户金额集中度",
    "amount_file_levels": "各等级笔单价客单价",
}

EN = {
    "amount_title": "Purchase amounts",
    "amount_intro": (
        "Avg order value (笔单价) = GMV ÷ purchases (what one order is worth); avg spend per buyer (客单价) = "
        "GMV ÷ buyers (what one customer spends). Amounts are amount paid − amount refunded; a zero-amount "
        "purchase counts as a purchase with zero spend, in the lowest band."
    ),
    "amount_no_buyer_note": (
        "{purchases} purchases ({gmv}) have no buyer key: they count in the order-value figures but not in "
        "spend per buyer, the Pareto curve or the level figures."
    ),
    "amount_no_buyers": "No purchase in scope has a buyer key (e.g. Pinduoduo or Douyin exports): customer-level charts cannot be computed; the order-value distribution is shown as usual.",
    "amount_bands_title": "Edit the amount bands",
    "amount_order_edges_label": "Order value bands (yuan, edges separated by commas)",
    "amount_order_edges_help": "E.g. 50, 100, 200 makes four bands: <50, 50–100, 100–200, 200+. An amount equal to an edge goes to the upper band (100 is in 100–200).",
    "amount_buyer_edges_label": "Buyer spend bands (yuan, edges separated by commas)",
    "amount_buyer_edges_help": "Each buyer's total spend in scope is banded by these edges. An amount equal to an edge goes to the upper band.",
    "amount_which_order": "Order value bands",
    "amount_which_buyer": "Buyer spend bands",
    "amount_edges_empty": "{which}: enter at least one edge.",
    "amount_edges_not_number": "{which}: “{value}” is not a number. Enter plain numbers separated by commas (no ¥, no thousands separators).",
    "amount_edges_not_positive": "{which}: edges must be above 0 (“{value}” is not).",
    "amount_edges_not_rising": "{which}: edges must rise without repeating ({b} is not above {a}).",
    "amount_edges_too_many": "{which}: at most {max} edges.",
    "amount_edges_too_big": "{which}: edge “{value}” is too large (at most {max}).",
    "amount_edges_decimals": "{which}: “{value}” has more than two decimals (cents).",
    "amount_edges_using_default": "Showing the default bands for now.",
    "amount_order_title": "Order value distribution: the amount of each purchase",
    "amount_order_chart": "Share of purchases and of GMV per order value band",
    "amount_order_caption": (
        "Blue: share of purchases; red: share of GMV. Bands where red beats blue bring more money than their "
        "order count. To lift the average order value, aim a spend-X-save-Y threshold or a bundle at the "
        "biggest low band to push those orders up one band."
    ),
    "amount_pct_title": "Order value percentiles",
    "amount_pct_caption": "P50 is the median: half of the orders are below it. P25–P75 is the typical order; a discount threshold between P50 and P75 is the easiest to reach by adding an item.",
    "amount_p25": "P25",
    "amount_p50": "P50 (median)",
    "amount_p75": "P75",
    "amount_p90": "P90",
    "amount_buyer_title": "Spend per buyer distribution: each buyer's total",
    "amount_buyer_chart": "Share of buyers and of GMV per spend band",
    "amount_buyer_caption": (
        "Each buyer's total spend in scope. Blue: share of buyers; red: share of GMV. Bands with few buyers "
        "but a large GMV share are high-value customers worth looking after; the crowded low bands are the "
        "ones to bring back for a second purchase."
    ),
    "amount_buyer_pct_title": "Buyer spend percentiles",
    "amount_buyer_pct_caption": "Over each buyer's total spend (orders without a buyer key left out). Above P90 are the top tenth of spenders.",
    "amount_pareto_title": "Pareto curve: how concentrated GMV is among buyers",
    "amount_pareto_chart": "Share of GMV from the top x% of buyers",
    "amount_pareto_caption": (
        "Buyers ranked by spend, highest first; read the curve as “the top x% of buyers bring y% of GMV”. The "
        "closer to the top-left, the more GMV depends on a few buyers: then look after them first (perks, "
        "repurchase reminders); when it is flat, the lever is getting ordinary buyers to buy more."
    ),
    "amount_pareto_headline": "The top 20% of buyers (n = {buyers}) bring {share} of GMV.",
    "amount_pareto_headline_none": "Buyers' spend adds up to 0: concentration cannot be measured.",
    "amount_top_label": "Top {pct}% of buyers",
    "amount_top_help": "Top {pct}% = the first ⌈{pct}% × buyers⌉ buyers ranked by spend, highest first (ties by customer number): {buyers} buyers.",
    "amount_pareto_equal": "Everyone spends the same",
    "amount_pareto_curve": "Cumulative share of GMV",
    "amount_pareto_tops": "Top x% of buyers",
    "amount_pareto_hover": "Top {buyers} of buyers → {gmv} of GMV",
    "amount_pareto_marker": "Top {pct}%: {share}",
    "amount_pareto_top_hover": "Top {pct}% of buyers ({buyers})<br>GMV {gmv}<br>Share {share}",
    "amount_pareto_x": "Share of buyers (by spend, highest first)",
    "amount_pareto_y": "Cumulative share of GMV",
    "amount_level_title": "Avg order value and spend per buyer by member level",
    "amount_level_chart": "Avg order value and avg spend per buyer by level",
    "amount_level_caption": (
        "Levels as of the as-of date (the exported level where there is one, else the level rules). Spend per "
        "buyer rising with the level is expected; if higher levels do not have a higher order value, they "
        "level up by buying often: bundles or gifts above a threshold can lift each order."
    ),
    "amount_share_purchases": "Share of purchases",
    "amount_share_buyers": "Share of buyers",
    "amount_share_gmv": "Share of GMV",
    "amount_axis_order_value": "Order value (yuan)",
    "amount_axis_buyer_spend": "Spend per buyer (yuan)",
    "amount_col_order_band": "Order value (yuan)",
    "amount_col_buyer_band": "Buyer spend (yuan)",
    "amount_col_purchases": "Purchases",
    "amount_col_buyers": "Buyers",
    "amount_col_share_purchases": "Share of purchases",
    "amount_col_share_buyers": "Share of buyers",
    "amount_col_gmv": "GMV",
    "amount_col_share_gmv": "Share of GMV",
    "amount_col_top": "Top x% of buyers",
    "amount_col_level": "Member level",
    "amount_col_aov": "Avg order value",
    "amount_col_aspb": "Avg spend per buyer",
    "amount_file_order_bands": "order_value_bands",
    "amount_file_buyer_bands": "buyer_spend_bands",
    "amount_file_pareto": "buyer_concentration",
    "amount_file_levels": "order_value_by_level",
}
