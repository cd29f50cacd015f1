"""Strings shared by the analysis pages: sidebar filters, downloads, empty states."""

ZH = {
    "filters_title": "筛选（所有分析页通用）",
    "filters_range": "订单日期范围",
    "filters_range_help": "只统计这段时间内的订单；默认是全部数据。",
    "filters_levels": "会员等级",
    "filters_provinces": "省份",
    "filters_platforms": "平台",
    "filters_shops": "店铺",
    "filters_all": "全部",
    "filters_reset": "重置筛选",
    "download_csv": "下载 CSV",
    "download_xlsx": "下载 Excel",
    "empty_no_data": "还没有数据。请先在“数据导入”页导入文件，或用示例数据试一试。",
    "empty_no_purchases": "当前筛选条件下没有成交订单。放宽日期范围或其他筛选试试。",
    "open_cohort": "在人群工具中打开“{what}”（测算优惠券、导出名单、打标签）",
    "empty_no_buyer_key": "这些订单没有买家标识（例如拼多多、抖店导出），无法做客户层面的分析。",
}

EN = {
    "filters_title": "Filters (all analysis pages)",
    "filters_range": "Order date range",
    "filters_range_help": "Only orders in this period count; default: all data.",
    "filters_levels": "Member levels",
    "filters_provinces": "Provinces",
    "filters_platforms": "Platforms",
    "filters_shops": "Shops",
    "filters_all": "All",
    "filters_reset": "Reset filters",
    "download_csv": "Download CSV",
    "download_xlsx": "Download Excel",
    "empty_no_data": "No data yet. Import files on the Data page, or try the sample data.",
    "empty_no_purchases": "No purchases match the current filters. Widen the date range or other filters.",
    "open_cohort": "Open “{what}” in the cohort tool (size a coupon, export the list, tag them)",
    "empty_no_buyer_key": "These orders have no buyer key (e.g. Pinduoduo or Douyin exports): customer-level analyses are not possible.",
}
