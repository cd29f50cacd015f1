"""Backup, restore and "delete all data" on the Data page (crm/backup.py)."""

ZH = {
    "backup_title": "备份与恢复",
    "backup_intro": "把整个数据库（订单、会员、导入记录、设置和保存的人群）下载成一个文件；需要时再上传它，恢复到备份时的样子。",
    "backup_download": "下载备份文件",
    "backup_download_help": "点击时生成：所有数据在同一时刻的完整副本（正在进行的导入会先完成）。",
    "backup_restore_label": "上传备份文件以恢复",
    "backup_restore_help": "只接受本程序下载的备份文件（.duckdb）。",
    "backup_restore_file": "备份文件：{orders} 条订单、{members} 位会员、{imports} 次导入，成交金额 {gmv}。",
    "backup_restore_confirm": "我确认：用这个备份替换现在的全部数据（现在的数据会被覆盖）",
    "backup_restore_button": "恢复这个备份",
    "backup_restored": "已恢复备份：{orders} 条订单、{members} 位会员、{imports} 次导入。被替换的数据库文件保留为 {kept}。",
    "backup_refused_not_database": "这个文件不是本程序的备份文件（不是数据库文件）。现有数据没有改动。",
    "backup_refused_unreadable": "这个备份文件无法读取（可能已损坏或不完整）：{detail}。现有数据没有改动。",
    "backup_refused_not_ours": "这个数据库文件不是本程序的备份（缺少：{tables}）。现有数据没有改动。",
    "backup_refused_newer": "这个备份来自更新版本的程序（数据版本 {version}，本程序支持到 {ours}）。请先升级程序。现有数据没有改动。",
    "backup_delete_title": "删除全部数据",
    "backup_delete_intro": "清空所有订单、商品明细、会员、导入记录和客户标签。保留设置：会员等级规则、生命周期阈值、保存的列对应关系、保存的人群定义和标签名称。建议先下载备份。",
    "backup_delete_prompt": "请输入“{word}”以确认",
    "backup_delete_word": "删除",
    "backup_delete_button": "删除全部数据",
    "backup_deleted": "已删除全部数据（{orders} 条订单、{members} 位会员、{imports} 条导入记录）。设置已保留。",
}

EN = {
    "backup_title": "Backup & restore",
    "backup_intro": "Download the whole database (orders, members, import history, settings and saved cohorts) as "
                    "one file; upload it later to go back to how things were when it was made.",
    "backup_download": "Download a backup",
    "backup_download_help": "Made when clicked: a complete copy of all data as of one moment (a running import "
                            "finishes first).",
    "backup_restore_label": "Upload a backup to restore",
    "backup_restore_help": "Only backup files downloaded from this program (.duckdb).",
    "backup_restore_file": "Backup: {orders} orders, {members} members, {imports} imports, GMV {gmv}.",
    "backup_restore_confirm": "I want to replace all current data with this backup (the current data is overwritten)",
    "backup_restore_button": "Restore this backup",
    "backup_restored": "Backup restored: {orders} orders, {members} members, {imports} imports. The replaced "
                       "database file is kept as {kept}.",
    "backup_refused_not_database": "This file is not a backup from this program (it is not a database file). "
                                   "Nothing was changed.",
    "backup_refused_unreadable": "This backup cannot be read (damaged or incomplete?): {detail}. Nothing was changed.",
    "backup_refused_not_ours": "This database file is not a backup from this program (missing: {tables}). "
                               "Nothing was changed.",
    "backup_refused_newer": "This backup comes from a newer version of the program (data version {version}; this "
                            "one reads up to {ours}). Upgrade first. Nothing was changed.",
    "backup_delete_title": "Delete all data",
    "backup_delete_intro": "Empties all orders, order lines, members, the import history and customer tags. Keeps "
                           "the settings: member level rules, lifecycle thresholds, saved column mappings, saved "
                           "cohort definitions and tag names. Download a backup first.",
    "backup_delete_prompt": "Type “{word}” to confirm",
    "backup_delete_word": "DELETE",
    "backup_delete_button": "Delete all data",
    "backup_deleted": "All data deleted ({orders} orders, {members} members, {imports} import records). Settings "
                      "were kept.",
}
