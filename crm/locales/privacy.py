"""The privacy settings on the Data page (crm/privacy.py)."""

ZH = {
    "privacy_title": "隐私",
    "privacy_drop_label": "导入时不保存联系方式",
    "privacy_drop_help": "开启后，之后导入的文件里的手机号、收货人、会员姓名和邮箱不会写进数据库，收货地址只留省和市。"
                         "买家 ID 会保留（用来识别回头客）。人群名单里的联系方式列将是空的。",
    "privacy_drop_on": "已开启：之后的导入不再保存联系方式。已导入的数据可用下面的按钮清除。",
    "privacy_drop_off": "已关闭：之后的导入会保存联系方式。",
    "privacy_stored": "数据库里现有 {orders} 条订单、{members} 位会员带有联系方式。",
    "privacy_scrub_confirm": "我确认要永久清除已导入数据里的联系方式（无法恢复）",
    "privacy_scrub_button": "立即清除已导入的联系方式",
    "privacy_scrub_done": "已清除：{orders} 条订单、{members} 位会员、{rejects} 条被拒行的原文。",
}

EN = {
    "privacy_title": "Privacy",
    "privacy_drop_label": "Drop contact details at import",
    "privacy_drop_help": "When on, files imported from now on keep no phone number, receiver, member name or e-mail in "
                         "the database, and of the address only the province and city. The buyer ID stays (it is "
                         "how repeat buyers are recognised). Contact columns of target lists will be empty.",
    "privacy_drop_on": "On: imports no longer keep contact details. Clear those already imported with the button below.",
    "privacy_drop_off": "Off: imports keep contact details.",
    "privacy_stored": "The database holds contact details of {orders} orders and {members} members.",
    "privacy_scrub_confirm": "I want to erase the contact details of the data already imported (this cannot be undone)",
    "privacy_scrub_button": "Erase imported contact details now",
    "privacy_scrub_done": "Erased: {orders} orders, {members} members, the text of {rejects} rejected rows.",
}
