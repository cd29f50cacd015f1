"""Import results: returns and corrections, files none of whose rows could be imported, and the
limits that keep a broken or hostile file from stalling an import."""

ZH = {
    "refused_all_rejected": "{count} 行都无法导入：{why}。",
    "all_rejected_mixed": "{reasons}",
    "all_rejected_item": "{reason}（{count} 行）",
    "all_rejected_one": "每一行都被拒绝：{reason}",
    "all_bad_amount": "每一行的金额都无法识别",
    "all_missing_amount": "每一行都缺少金额",
    "all_bad_date": "每一行的日期都无法识别",
    "all_missing_date": "每一行都缺少下单时间",
    "all_missing_customer": "每一行都缺少客户标识",
    "all_missing_order_id": "每一行都缺少订单号",
    "all_date_in_future": "每一行的日期都在未来",
    "all_date_too_old": "每一行的日期都早于 1995 年",
    "all_absurd_amount": "每一行的金额都超过 ¥10,000,000",
    "refused_mostly_malformed": "{count} 行无法读取（列数不对或引号不配对，第一处在第 {line} 行），比能读取的行还多："
                                "文件可能已损坏（例如一个没有结束的引号吞掉了后面的内容），或不是平台导出的表格。",
    "result_returns": "退货/冲正",
    "returns_note": "{lines} 行是退货或冲正（数量 ≤ 0 或金额为负，如以 C 开头的退货单、库存调整），合计 {amount}："
                    "它们不是成交，也不是错误，已单独保存，不影响订单数和成交金额。",
    "cli_returns": "  退货/冲正 {lines} 行，金额 {amount}（不计为成交）",
    "col_returns": "退货/冲正行",
    "refused_header_too_wide": "表头有 {columns} 列，超过上限 {limit} 列：这不是平台导出的订单或会员表。",
    "refused_header_too_long": "第一行超过 {limit} 还没有结束（表头最长 {limit}）：这不是平台导出的表格。",
    "refused_line_too_long": "第 {line} 行超过 {limit} 还没有结束：这不是平台导出的表格（文件可能已损坏）。",
    "refused_spreadsheet_too_large": "这个 Excel 文件解压后有 {size}，超过上限 {limit}：请另存为 CSV 后再上传。",
    "refused_zip_bomb": "这个 Excel 文件里有一部分解压后有 {size}，压缩比超过 {ratio}:1，真实的表格不会这样："
                        "文件可能已损坏或是恶意文件（“压缩炸弹”），没有打开它。",
    "download_rejects_refused": "下载被拒绝的行（{n} 行）",
}

EN = {
    "refused_all_rejected": "None of the {count} rows could be imported: {why}.",
    "all_rejected_mixed": "{reasons}",
    "all_rejected_item": "{reason} ({count} rows)",
    "all_rejected_one": "every row was rejected: {reason}",
    "all_bad_amount": "every amount is unreadable",
    "all_missing_amount": "every amount is missing",
    "all_bad_date": "every date is unreadable",
    "all_missing_date": "every order time is missing",
    "all_missing_customer": "every row lacks a customer",
    "all_missing_order_id": "every order id is missing",
    "all_date_in_future": "every date is in the future",
    "all_date_too_old": "every date is before 1995",
    "all_absurd_amount": "every amount is over ¥10,000,000",
    "refused_mostly_malformed": "{count} lines cannot be read (wrong number of columns or unmatched quotes, the first at "
                                "line {line}), more than can be read: the file is damaged (an unclosed quote swallowing "
                                "the rest, for example) or is not an exported table.",
    "result_returns": "Returns",
    "returns_note": "{lines} lines are returns or corrections (quantity ≤ 0 or a negative amount: credit notes such as "
                    "invoices starting with C, stock adjustments), {amount} in all: not purchases and not errors; "
                    "they are kept apart and change neither the order count nor GMV.",
    "cli_returns": "  returns/corrections: {lines} lines, {amount} (not purchases)",
    "col_returns": "Return lines",
    "refused_header_too_wide": "The header has {columns} columns, more than the limit of {limit}: this is not an order or member export.",
    "refused_header_too_long": "The first line goes on past {limit} (a header is at most {limit}): this is not an exported table.",
    "refused_line_too_long": "Line {line} goes on past {limit}: this is not an exported table (the file may be damaged).",
    "refused_spreadsheet_too_large": "This Excel file unpacks to {size}, more than the limit of {limit}: save it as CSV and upload that.",
    "refused_zip_bomb": "A part of this Excel file unpacks to {size}, compressed more than {ratio}:1, which no real sheet is: "
                        "the file is damaged or malicious (a “zip bomb”) and was not opened.",
    "download_rejects_refused": "Download the rejected rows ({n})",
}
