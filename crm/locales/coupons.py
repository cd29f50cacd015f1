"""Coupon sizing (优惠券测算): labels, chart texts and the recommendation's reasons."""

ZH = {
    "coupons_title": "优惠券测算",
    "coupons_offer_label": "满{threshold}减{amount}",
    # the cohort's order values
    "coupons_stat_members": "人群会员数",
    "coupons_stat_buyers": "有成交的会员",
    "coupons_stat_orders": "成交订单（金额 > 0）",
    "coupons_stat_mean": "笔单价",
    "coupons_stat_median": "订单金额中位数 (P50)",
    "coupons_stat_p25": "P25",
    "coupons_stat_p75": "P75",
    "coupons_zero_spend_excluded": "{count} 笔零金额成交订单（赠品、全额抵扣）不计入订单金额分布。",
    "coupons_scope_note": "订单金额 = 每笔成交订单的成交金额（实付 − 退款）；统计这群会员截至统计截止日 {as_of} 的全部成交订单。",
    "coupons_empty_cohort": "这个人群没有会员，无法测算优惠券。",
    "coupons_no_orders": "这群会员在统计截止日前没有金额大于 0 的成交订单，无法按订单金额测算门槛。",
    # offer and economics columns
    "coupons_col_offer": "优惠方案",
    "coupons_col_threshold": "门槛 满X (¥)",
    "coupons_col_amount": "优惠 减Y (¥)",
    "coupons_col_discount": "实际折扣率 (Y/X)",
    "coupons_col_orders_reaching": "已达门槛的订单",
    "coupons_col_reach_share": "已达门槛订单占比",
    "coupons_col_mean_reaching": "已达门槛订单的平均金额 (¥)",
    "coupons_col_lift": "门槛高于中位数 (X/P50 − 1)",
    "coupons_col_lift_yuan": "门槛 − 中位数 (¥)",
    "coupons_col_cohort_size": "触达人数",
    "coupons_col_redemptions": "预计核销张数",
    "coupons_col_redemption_rate": "该券核销率",
    "coupons_col_orders": "预计订单数",
    "coupons_col_avg_order_value": "核销订单笔单价 (¥)",
    "coupons_col_coupon_cost": "优惠成本 (¥)",
    "coupons_col_message_cost": "触达成本 (¥)",
    "coupons_col_incremental_buyers": "增量回购客户",
    "coupons_col_incremental_gmv": "增量成交金额 (¥)",
    "coupons_col_gross_profit": "预期毛利 (¥)",
    "coupons_col_roi": "投入产出比 (ROI)",
    "coupons_col_break_even_rate": "回本核销率",
    # assumptions
    "coupons_assume_redemption_rate": "核销率",
    "coupons_assume_redemption_rate_help": "参考券（9折力度、一半历史订单已达门槛）的核销率：收到券的会员中，在活动期内用券下单的比例。门槛更难达到或优惠更小的券，核销率按比例降低。",
    "coupons_assume_baseline_rate": "自然回购率",
    "coupons_assume_baseline_rate_help": "不发券，活动期内也会回来购买的比例（他们用的券是白送的优惠）。",
    "coupons_assume_gross_margin": "毛利率",
    "coupons_assume_gross_margin_help": "订单金额中扣除商品成本后的毛利比例。",
    "coupons_assume_message_cost": "每人触达成本 (¥)",
    "coupons_assume_message_cost_help": "给每位会员发一次短信/消息的费用。",
    "coupons_assume_window_days": "活动期（天）",
    "coupons_assume_window_days_help": "核销率和自然回购率都按这段时间计算。",
    # how the numbers are computed
    "coupons_formulas": (
        "预计核销张数 = 触达人数 × 核销率；预计订单数 ≈ 核销张数。"
        "核销订单笔单价 = max(门槛, 过去达到门槛的订单的平均金额)。"
        "优惠成本 = 核销张数 × 优惠金额（包括本来就会回购的人用掉的券）。"
        "增量回购客户 = 触达人数 × max(核销率 − 自然回购率, 0)；增量成交金额 = 增量回购客户 × 核销订单笔单价。"
        "预期毛利 = 增量成交金额 × 毛利率 − 优惠成本 − 触达成本 × 触达人数。"
        "ROI = 预期毛利 ÷ (优惠成本 + 触达成本)。"
        "回本核销率 = (每人触达成本 + 自然回购率 × 笔单价 × 毛利率) ÷ (笔单价 × 毛利率 − 优惠金额)。"
    ),
    # recommendation
    "coupons_recommend_title": "推荐方案",
    "coupons_reason_best": (
        "满{threshold}减{amount}：这群会员过去的订单中有 {reach} 已达到 ¥{threshold}，优惠相当于订单金额的 "
        "{discount}，核销率达到 {break_even} 即可回本；按当前假设预期毛利 {profit}。"
    ),
    "coupons_reason_loss": (
        "按当前假设没有方案能回本。亏损最少的是满{threshold}减{amount}（预期毛利 {profit}，过去订单中有 "
        "{reach} 已达到门槛，优惠相当于订单金额的 {discount}）：核销率需达到 {break_even} 才能回本。"
        "可以降低触达成本，或只发给更可能回购的会员。"
    ),
    "coupons_reason_loss_never": (
        "没有方案能回本：即使全部核销，增量毛利也抵不上优惠和触达成本。亏损最少的是满{threshold}减{amount}"
        "（预期毛利 {profit}，过去订单中有 {reach} 已达到门槛，优惠相当于订单金额的 {discount}）。"
    ),
    # charts
    "coupons_chart_hist_title": "这群会员的订单金额分布",
    "coupons_chart_hist_x": "订单金额 (¥)",
    "coupons_chart_hist_y": "成交订单",
    "coupons_chart_hist_hover": "¥{lo} – ¥{hi}",
    "coupons_chart_hist_open": "≥ ¥{lo}",
    "coupons_chart_p25": "P25 ¥{value}",
    "coupons_chart_p50": "中位数 ¥{value}",
    "coupons_chart_p75": "P75 ¥{value}",
    "coupons_chart_threshold": "推荐门槛 ¥{value}",
    "coupons_chart_profit_title": "各方案的预期毛利",
    "coupons_chart_profit_x": "预期毛利 (¥)",
    "coupons_chart_recommended": "推荐",
    "coupons_chart_scatter_title": "折扣力度与门槛可达性",
    "coupons_chart_scatter_x": "实际折扣率 (Y/X)",
    "coupons_chart_scatter_y": "已达门槛订单占比",
}

EN = {
    "coupons_title": "Coupon sizing",
    "coupons_offer_label": "¥{amount} off ¥{threshold}",
    "coupons_stat_members": "Members in cohort",
    "coupons_stat_buyers": "Members with a purchase",
    "coupons_stat_orders": "Purchases (value > 0)",
    "coupons_stat_mean": "Average order value",
    "coupons_stat_median": "Median order value (P50)",
    "coupons_stat_p25": "P25",
    "coupons_stat_p75": "P75",
    "coupons_zero_spend_excluded": "{count} zero-value purchases (gifts, fully discounted orders) are left out of the order-value distribution.",
    "coupons_scope_note": "Order value = the spend of one purchase (paid − refunded), over every purchase of these members up to the as-of date {as_of}.",
    "coupons_empty_cohort": "This cohort has no members: there is nothing to size.",
    "coupons_no_orders": "These members have no purchase above ¥0 up to the as-of date, so there is no order value to set a threshold from.",
    "coupons_col_offer": "Offer",
    "coupons_col_threshold": "Threshold X (¥)",
    "coupons_col_amount": "Discount Y (¥)",
    "coupons_col_discount": "Effective discount (Y/X)",
    "coupons_col_orders_reaching": "Past orders reaching X",
    "coupons_col_reach_share": "Share of past orders reaching X",
    "coupons_col_mean_reaching": "Mean value of orders reaching X (¥)",
    "coupons_col_lift": "Threshold above median (X/P50 − 1)",
    "coupons_col_lift_yuan": "Threshold − median (¥)",
    "coupons_col_cohort_size": "People contacted",
    "coupons_col_redemptions": "Expected redemptions",
    "coupons_col_redemption_rate": "Offer redemption rate",
    "coupons_col_orders": "Expected orders",
    "coupons_col_avg_order_value": "Average value of a redeemed order (¥)",
    "coupons_col_coupon_cost": "Coupon cost (¥)",
    "coupons_col_message_cost": "Messaging cost (¥)",
    "coupons_col_incremental_buyers": "Incremental buyers",
    "coupons_col_incremental_gmv": "Incremental GMV (¥)",
    "coupons_col_gross_profit": "Expected gross profit (¥)",
    "coupons_col_roi": "ROI",
    "coupons_col_break_even_rate": "Break-even redemption rate",
    "coupons_assume_redemption_rate": "Redemption rate",
    "coupons_assume_redemption_rate_help": "Redemption rate of a reference offer (10% off, a threshold half of past orders reach): the share of members who get it and order with it within the window. Offers fewer orders reach, or smaller ones, are redeemed proportionally less.",
    "coupons_assume_baseline_rate": "Baseline return rate",
    "coupons_assume_baseline_rate_help": "Share who would come back within the window without a coupon (their coupons are given away).",
    "coupons_assume_gross_margin": "Gross margin",
    "coupons_assume_gross_margin_help": "Share of the order value left after the cost of goods.",
    "coupons_assume_message_cost": "Cost per person contacted (¥)",
    "coupons_assume_message_cost_help": "What one text message or notification costs.",
    "coupons_assume_window_days": "Campaign window (days)",
    "coupons_assume_window_days_help": "Both rates refer to this period.",
    "coupons_formulas": (
        "Expected redemptions = people contacted × redemption rate; expected orders ≈ redemptions. "
        "Average value of a redeemed order = max(threshold, mean of past orders that reached the threshold). "
        "Coupon cost = redemptions × discount (including coupons used by people who would have bought anyway). "
        "Incremental buyers = people contacted × max(redemption rate − baseline rate, 0); incremental GMV = incremental "
        "buyers × average value of a redeemed order. "
        "Expected gross profit = incremental GMV × gross margin − coupon cost − cost per person × people contacted. "
        "ROI = expected gross profit ÷ (coupon cost + messaging cost). "
        "Break-even redemption rate = (cost per person + baseline rate × order value × margin) ÷ "
        "(order value × margin − discount)."
    ),
    "coupons_recommend_title": "Recommended offer",
    "coupons_reason_best": (
        "¥{amount} off ¥{threshold}: {reach} of this cohort's past orders already reach ¥{threshold}, the coupon "
        "costs {discount} of the order, and it pays for itself from a {break_even} redemption rate; expected gross "
        "profit {profit} under these assumptions."
    ),
    "coupons_reason_loss": (
        "No offer pays for itself under these assumptions. The smallest loss is ¥{amount} off ¥{threshold} "
        "(expected gross profit {profit}; {reach} of past orders already reach the threshold, the coupon costs "
        "{discount} of the order): it needs a {break_even} redemption rate to break even. Lower the messaging cost, "
        "or send it only to members more likely to come back."
    ),
    "coupons_reason_loss_never": (
        "No offer pays for itself: even if every coupon were redeemed, the incremental margin would not cover the "
        "discount and messaging. The smallest loss is ¥{amount} off ¥{threshold} (expected gross profit {profit}; "
        "{reach} of past orders already reach the threshold, the coupon costs {discount} of the order)."
    ),
    "coupons_chart_hist_title": "Order values of this cohort",
    "coupons_chart_hist_x": "Order value (¥)",
    "coupons_chart_hist_y": "Purchases",
    "coupons_chart_hist_hover": "¥{lo} – ¥{hi}",
    "coupons_chart_hist_open": "≥ ¥{lo}",
    "coupons_chart_p25": "P25 ¥{value}",
    "coupons_chart_p50": "Median ¥{value}",
    "coupons_chart_p75": "P75 ¥{value}",
    "coupons_chart_threshold": "Recommended threshold ¥{value}",
    "coupons_chart_profit_title": "Expected gross profit by offer",
    "coupons_chart_profit_x": "Expected gross profit (¥)",
    "coupons_chart_recommended": "Recommended",
    "coupons_chart_scatter_title": "Discount depth vs. reachable threshold",
    "coupons_chart_scatter_x": "Effective discount (Y/X)",
    "coupons_chart_scatter_y": "Share of past orders reaching X",
}
