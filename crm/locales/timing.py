"""Strings of the Time page (会员时间): trend, peaks, festivals, weekday × hour, new vs returning,
days since last purchase, retention, usage cycle."""

ZH = {
    "timing_cohort_name": "未购 {days} 天的客户",
    "timing_title": "会员时间",
    "timing_intro": "会员什么时候买、多久回来买一次：成交走势与高峰淡季、大促节点、一周七天 × 24 小时、"
                    "每月新客与老客、未购天数、首购留存和回购周期。",
    "timing_grain": "周期",
    "timing_grain_day": "按天",
    "timing_grain_week": "按周",
    "timing_grain_month": "按月",
    "timing_metric": "指标",
    "timing_metric_gmv": "成交金额",
    "timing_metric_purchases": "成交订单",
    "timing_metric_buyers": "成交客户数",
    # headline: the usage cycle
    "timing_headline": "你的客户通常在 {median} 天内回购（中位数），80% 在 {p80} 天内回购。",
    "timing_headline_caption": "回购周期（回购间隔）= 同一客户相邻两个购买日之间的天数，同一天的多笔订单算一次；"
                               "来自 {buyers} 位回购客户的 {gaps} 个间隔。沉默会员的唤醒按这个周期设定："
                               "超过 {p80} 天未购的客户，已经晚于八成客户的回购节奏，适合发召回券。",
    "timing_headline_none": "所选范围内还没有客户在两个不同的日子购买，暂时算不出回购周期。",
    "timing_cycle_median": "回购周期（中位数）",
    "timing_cycle_p80": "80% 客户在此天数内回购",
    "timing_cycle_buyers": "有回购的客户",
    "timing_days_value": "{days} 天",
    # trend
    "timing_trend_title": "{metric}走势（{grain}）",
    "timing_trend_caption": "红点为高峰期、蓝点为淡季（按完整周期的成交金额：≥ P90 且高于中位数为高峰，≤ P10 且低于中位数为淡季），"
                            "空心点为被筛选范围截断的不完整周期，阴影为大促窗口。高峰前备货、加预算；淡季安排会员专享活动拉动复购。",
    "timing_peak": "高峰",
    "timing_off_season": "淡季",
    "timing_incomplete": "不完整周期",
    "timing_peaks_list": "高峰期：{periods}",
    "timing_off_list": "淡季：{periods}",
    "timing_no_peaks": "完整周期少于 {n} 个或走势平稳，没有标出高峰和淡季。",
    "timing_period_range": "{start} 至 {end}",
    "timing_festivals_label": "大促",
    "timing_fest_cny": "年货节",
    "timing_fest_618": "618",
    "timing_fest_double11": "双11",
    "timing_fest_double12": "双12",
    # weekday × hour
    "timing_weekday_hour_title": "一周七天 × 24 小时的成交订单",
    "timing_weekday_hour_caption": "颜色越深，这个时段下单越多。把短信、推送、直播和上新安排在顾客最常下单的时段之前。",
    "timing_weekday_title": "一周七天的成交订单",
    "timing_weekday_caption": "数据里只有日期、没有下单时刻，所以只按星期统计。把营销触达安排在下单最多的日子之前。",
    "timing_weekdays": "周一,周二,周三,周四,周五,周六,周日",
    "timing_weekday": "星期",
    "timing_hour": "小时",
    # new vs returning
    "timing_new_returning_title": "每月新客与老客",
    "timing_new": "新客（首次购买）",
    "timing_returning": "老客（再次购买）",
    "timing_new_returning_caption": "新客 = 当月是其有史以来第一次购买；老客 = 之前的月份买过。老客占比持续下降，说明复购在流失，应加强会员回访。",
    "timing_month": "月份",
    # days since last purchase
    "timing_recency_title": "未购天数分布（截至 {as_of}）",
    "timing_recency_caption": "所选范围内的成交客户，从最后一次购买到统计截止日的天数。越靠右的客户沉睡越久；"
                              "点击柱子可选中这批客户，91 天以上的适合用召回券唤醒。",
    "timing_recency_bin": "{lo}–{hi} 天",
    "timing_recency_open": "{lo} 天以上",
    "timing_days_since_last": "未购天数",
    "timing_buyers": "成交客户数",
    "timing_share": "占比",
    # retention
    "timing_retention_title": "首购月份留存：第 +k 个月仍有购买的比例",
    "timing_retention_caption": "每行是首次购买在该月的一批新客（括号内为人数），每格是其在之后第 k 个月再次购买的比例。"
                                "某一列整体偏低，说明那个月是新客流失的关口，在此之前安排关怀；带 * 的月份还没有结束。",
    "timing_cohort": "首购月份",
    "timing_retention_empty": "所选范围内没有首次购买的客户，无法计算留存。",
    "timing_retention_too_soon": "首次购买都在统计截止日所在的月份，下个月开始才有留存可看。",
    # gap histogram
    "timing_gap_title": "回购间隔分布",
    "timing_gap_caption": "同一客户相邻两个购买日相隔的天数，每 7 天一组，最后一组为 365 天以上。虚线为中位数和 P80："
                          "在 P80 之前提醒回购，能赶在大多数客户的回购节奏之前。",
    "timing_gap_days": "间隔天数",
    "timing_gaps": "间隔数",
    "timing_median_line": "中位数 {days} 天",
    "timing_p80_line": "P80 {days} 天",
    # tables
    "timing_tables": "明细表",
    "timing_monthly_table": "月度明细",
    "timing_retention_table": "留存明细（%）",
    "timing_col_month": "月份",
    "timing_col_gmv": "成交金额",
    "timing_col_purchases": "成交订单",
    "timing_col_buyers": "成交客户数",
    "timing_col_new": "新客",
    "timing_col_returning": "老客",
    "timing_col_complete": "完整月份",
    "timing_col_peak": "高峰",
    "timing_col_off_season": "淡季",
    "timing_col_festivals": "大促",
    "timing_col_cohort": "首购月份",
    "timing_col_size": "首购人数",
    "timing_col_offset": "+{k}月",
    "timing_file_monthly": "会员时间_月度明细",
    "timing_file_retention": "会员时间_留存",
}

EN = {
    "timing_cohort_name": "no purchase for {days} days",
    "timing_title": "Time",
    "timing_intro": "When members buy and how soon they come back: the sales trend with peak and off-season periods, "
                    "shopping festivals, weekday × hour, new vs returning buyers per month, days since last purchase, "
                    "first-purchase retention and the usage cycle.",
    "timing_grain": "Period",
    "timing_grain_day": "Day",
    "timing_grain_week": "Week",
    "timing_grain_month": "Month",
    "timing_metric": "Metric",
    "timing_metric_gmv": "GMV",
    "timing_metric_purchases": "Purchases",
    "timing_metric_buyers": "Buyers",
    "timing_headline": "Your customers usually come back within {median} days (median), 80% within {p80} days.",
    "timing_headline_caption": "Usage cycle (repurchase gap) = days between a customer's consecutive purchase days; several "
                               "orders on one day count once. From {gaps} gaps of {buyers} returning customers. Dormant "
                               "members are timed by this cycle: a customer with no purchase for more than {p80} days is "
                               "later than 80% of returns, a good moment for a win-back coupon.",
    "timing_headline_none": "No customer in the selected range has bought on two different days yet, so there is no usage cycle.",
    "timing_cycle_median": "Usage cycle (median)",
    "timing_cycle_p80": "80% of customers return within",
    "timing_cycle_buyers": "Customers who came back",
    "timing_days_value": "{days} days",
    "timing_trend_title": "{metric} by {grain}",
    "timing_trend_caption": "Red dots are peak periods, blue dots off-season (GMV of complete periods: ≥ P90 and above the "
                            "median, ≤ P10 and below the median); hollow dots are periods cut by the date range; shading "
                            "marks shopping festivals. Stock up and raise budgets before peaks; run member-only offers in "
                            "the off-season.",
    "timing_peak": "Peak",
    "timing_off_season": "Off-season",
    "timing_incomplete": "Incomplete period",
    "timing_peaks_list": "Peak periods: {periods}",
    "timing_off_list": "Off-season: {periods}",
    "timing_no_peaks": "Fewer than {n} complete periods, or a flat trend: no peak or off-season marked.",
    "timing_period_range": "{start} to {end}",
    "timing_festivals_label": "Festivals",
    "timing_fest_cny": "CNY shopping festival",
    "timing_fest_618": "618",
    "timing_fest_double11": "Double 11",
    "timing_fest_double12": "Double 12",
    "timing_weekday_hour_title": "Purchases by weekday × hour",
    "timing_weekday_hour_caption": "The darker the cell, the more orders at that time. Schedule messages, pushes, live streams "
                                   "and launches just before the busiest hours.",
    "timing_weekday_title": "Purchases by weekday",
    "timing_weekday_caption": "The data has dates without times of day, so only weekdays are shown. Time your campaigns "
                              "just before the busiest days.",
    "timing_weekdays": "Mon,Tue,Wed,Thu,Fri,Sat,Sun",
    "timing_weekday": "Weekday",
    "timing_hour": "Hour",
    "timing_new_returning_title": "New vs returning buyers per month",
    "timing_new": "New (first purchase ever)",
    "timing_returning": "Returning (bought before)",
    "timing_new_returning_caption": "New = the month of the customer's first purchase ever; returning = bought in an earlier "
                                    "month. A shrinking share of returning buyers means repeat business is leaking: follow "
                                    "up with members.",
    "timing_month": "Month",
    "timing_recency_title": "Days since last purchase (as of {as_of})",
    "timing_recency_caption": "Buyers in the selected range by days from their last purchase to the as-of date. The further "
                              "right, the longer asleep; click a bar to select those customers. 91 days and more: time for "
                              "a win-back coupon.",
    "timing_recency_bin": "{lo}–{hi} days",
    "timing_recency_open": "{lo}+ days",
    "timing_days_since_last": "Days since last purchase",
    "timing_buyers": "Buyers",
    "timing_share": "Share",
    "timing_retention_title": "Retention by first-purchase month: share buying again in month +k",
    "timing_retention_caption": "Each row is the customers whose first purchase fell in that month (their number in "
                                "brackets); each cell is the share who bought again k months later. A column that is low "
                                "everywhere is where new customers drop off: reach out before it. Cells marked * are in a "
                                "month that is not over yet.",
    "timing_cohort": "First-purchase month",
    "timing_retention_empty": "No first purchases in the selected range: no retention to show.",
    "timing_retention_too_soon": "Every first purchase is from the as-of month: retention shows once the next month begins.",
    "timing_gap_title": "Time between purchases",
    "timing_gap_caption": "Days between a customer's consecutive purchase days, in weeks; the last bar is 365 days and more. "
                          "Dashed lines: median and P80. A reminder before P80 arrives ahead of most customers' return.",
    "timing_gap_days": "Days between purchases",
    "timing_gaps": "Gaps",
    "timing_median_line": "Median {days} d",
    "timing_p80_line": "P80 {days} d",
    "timing_tables": "Tables",
    "timing_monthly_table": "Monthly figures",
    "timing_retention_table": "Retention (%)",
    "timing_col_month": "Month",
    "timing_col_gmv": "GMV",
    "timing_col_purchases": "Purchases",
    "timing_col_buyers": "Buyers",
    "timing_col_new": "New buyers",
    "timing_col_returning": "Returning buyers",
    "timing_col_complete": "Complete month",
    "timing_col_peak": "Peak",
    "timing_col_off_season": "Off-season",
    "timing_col_festivals": "Festivals",
    "timing_col_cohort": "First-purchase month",
    "timing_col_size": "New customers",
    "timing_col_offset": "+{k} mo",
    "timing_file_monthly": "time_monthly",
    "timing_file_retention": "time_retention",
}
