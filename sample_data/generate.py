"""Generate a realistic Taobao/Tmall personal-care shop in the real seller export formats.

The generator writes, into one directory, the three files a seller would download:

* ``ExportOrderList<yyyyMMddHHmm>.csv`` -- one row per order, the ~2020 61-column header
  (verbatim, including the trailing spaces of ``收货地址 ``, ``订单付款时间 `` ...).
* ``ExportOrderDetailList<yyyyMMddHHmm>.csv`` -- one row per item line.
* ``会员信息<yyyyMMddHHmm>.csv`` -- a Taobao-ISV CRM member export (every buyer plus ~5 % members
  who never bought).

Value quirks copied from real files: order ids as Excel formula text ``="2587361234567890123"``,
phones as ``'13800001234``, ``0元`` service fees, ``null`` in unconfirmed date cells, empty
payment time for unpaid orders, address ``省 市 区 详细(邮编)``, item titles joined with ``，``.
All phone numbers are fake (middle block ``0000``); names and nicknames are random.

The simulated shop: ~30 SKUs (shampoo, body wash, hand cream ... mostly ¥29.90-¥99.90, gift
sets ¥129-¥299), three years of orders with 双11 / 618 / 年货节 seasonality, a ~90-day product
usage cycle driving repurchases, ~60-65 % one-time buyers and a few very loyal customers.

Usage::

    python sample_data/generate.py --orders 15000 --out sample_data/taobao
    python sample_data/generate.py --orders 1000000 --out bench/data/1m --encoding utf-8-sig

or from Python::

    from sample_data.generate import generate
    info = generate("/tmp/shop", orders=5000, seed=1)
    info["paths"], info["orders"], info["buyers"], info["members"]

Only the standard library and numpy are used.  Everything is vectorised with numpy and the
files are written in chunks of ``CHUNK`` orders: 1 M orders take ~20 s and ~0.9 GB of RAM,
10 M orders ~3.5 min and ~1.6 GB (2-core machine).
The output is fully determined by (orders, seed, end, years).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from datetime import date, datetime, timedelta
from typing import NamedTuple

import numpy as np

CHUNK = 200_000

# --------------------------------------------------------------------------------------------
# Verbatim headers (see /work/shared/formats/README.md, sections 1.2(d), 1.3 and 2.3)
# --------------------------------------------------------------------------------------------
ORDER_HEADER = [
    "订单编号", "买家会员名", "买家支付宝账号", "支付单号", "支付详情", "买家应付货款", "买家应付邮费",
    "买家支付积分", "总金额", "返点积分", "买家实际支付金额", "买家实际支付积分", "订单状态", "买家留言",
    "收货人姓名", "收货地址 ", "运送方式", "联系电话 ", "联系手机", "订单创建时间", "订单付款时间 ",
    "宝贝标题 ", "宝贝种类 ", "物流单号 ", "物流公司", "订单备注", "宝贝总数量", "店铺Id", "店铺名称",
    "订单关闭原因", "卖家服务费", "买家服务费", "发票抬头", "是否手机订单", "分阶段订单信息",
    "特权订金订单id", "是否上传合同照片", "是否上传小票", "是否代付", "定金排名", "修改后的sku",
    "修改后的收货地址", "异常信息", "天猫卡券抵扣", "集分宝抵扣", "是否是O2O交易", "新零售交易类型",
    "新零售导购门店名称", "新零售导购门店id", "新零售发货门店名称", "新零售发货门店id", "退款金额",
    "预约门店", "确认收货时间", "打款商家金额", "含应开票给个人的个人红包", "是否信用购", "体验期结束时间",
    "前N有礼", "配送类型", "主订单编号",
]
DETAIL_HEADER = ["订单编号", "标题", "价格", "购买数量", "外部系统编号", "商品属性", "套餐信息", "备注",
                 "订单状态", "商家编码"]
MEMBER_HEADER = ["序号", "买家昵称", "会员等级编号", "交易成功笔数", "交易成功金额", "交易关闭的金额",
                 "交易关闭的笔数", "地区", "城市", "购买的宝贝件数", "平均客单价", "最后交易时间",
                 "交易关闭的宝贝件数", "手机号", "卖家编号"]
assert len(ORDER_HEADER) == 61 and len(DETAIL_HEADER) == 10 and len(MEMBER_HEADER) == 15

# --------------------------------------------------------------------------------------------
# Shop, catalogue and vocabularies
# --------------------------------------------------------------------------------------------
SHOP_NAME = "沐禾旗舰店"
SELLER_ID = "2206718345"

ST_SUCCESS = "交易成功"
ST_SHIPPED = "卖家已发货，等待买家确认"
ST_PAID = "买家已付款，等待卖家发货"
ST_UNPAID = "买家未付款"
ST_CLOSED = "交易关闭"
STATUSES = [ST_SUCCESS, ST_SHIPPED, ST_PAID, ST_UNPAID, ST_CLOSED]  # codes 0..4

NOT_CLOSED = "订单未关闭"
CLOSE_UNPAID_REASONS = (["买家不想买了"] * 6 + ["信息填写错误，重新拍"] * 3 + ["拍错了"] * 2
                        + ["其他原因", "同城见面交易", "卖家缺货"])
CLOSE_REFUND_REASONS = (["不想要了"] * 4 + ["7天无理由退换货"] * 3 + ["拍错/多拍"] * 2
                        + ["商品破损/少件", "快递一直未送到", "效果不好/不喜欢"])

# (商家编码, 标题, 价格(元), 人气权重, 是否礼盒, 商品属性 variants)
PRODUCTS = [
    ("MH-SH01", "沐禾氨基酸洗发水控油蓬松500ml", 59.90, 10, 0,
     ["颜色分类：白茶香;规格：500ml", "颜色分类：海盐香;规格：500ml", "颜色分类：樱花香;规格：500ml"]),
    ("MH-SH02", "沐禾去屑止痒洗发露400ml", 49.90, 7, 0, [""]),
    ("MH-SH03", "沐禾生姜防脱洗发水750ml", 79.90, 6, 0, [""]),
    ("MH-SH04", "沐禾洗发水补充装2L", 99.90, 3, 0, ["颜色分类：白茶香;规格：2L", "颜色分类：海盐香;规格：2L"]),
    ("MH-CD01", "沐禾柔顺护发素500ml", 45.90, 5, 0, [""]),
    ("MH-HM01", "沐禾修护发膜250g", 39.90, 4, 0, [""]),
    ("MH-HO01", "沐禾免洗护发精油100ml", 69.90, 3, 0, ["颜色分类：小苍兰;规格：100ml", "颜色分类：白麝香;规格：100ml"]),
    ("MH-BW01", "沐禾香氛沐浴露1L", 69.90, 9, 0,
     ["颜色分类：玫瑰香;规格：1L", "颜色分类：栀子花;规格：1L", "颜色分类：白桃;规格：1L"]),
    ("MH-BW02", "沐禾烟酰胺亮肤沐浴露500ml", 59.90, 6, 0, [""]),
    ("MH-BW03", "沐禾氨基酸沐浴乳500ml", 49.90, 5, 0, ["颜色分类：牛奶;规格：500ml", "颜色分类：燕麦;规格：500ml"]),
    ("MH-BW04", "沐禾沐浴露家庭装2.5L", 89.90, 3, 0, ["颜色分类：玫瑰香;规格：2.5L", "颜色分类：白桃;规格：2.5L"]),
    ("MH-BS01", "沐禾海盐磨砂膏200g", 45.90, 3, 0, [""]),
    ("MH-BL01", "沐禾保湿身体乳400ml", 55.90, 6, 0, ["颜色分类：玫瑰香;规格：400ml", "颜色分类：无香;规格：400ml"]),
    ("MH-BL02", "沐禾果酸身体乳250ml", 79.90, 3, 0, [""]),
    ("MH-HC01", "沐禾护手霜小样30g×5支", 39.90, 6, 0, [""]),
    ("MH-HC02", "沐禾尿素护手霜50g", 29.90, 5, 0, [""]),
    ("MH-HC03", "沐禾香氛护手霜75g", 35.90, 5, 0,
     ["颜色分类：玫瑰香;规格：75g", "颜色分类：樱花香;规格：75g", "颜色分类：小苍兰;规格：75g"]),
    ("MH-FC01", "沐禾足跟修护霜50g", 29.90, 2, 0, [""]),
    ("MH-TP01", "沐禾亮白牙膏120g×2支", 39.90, 4, 0, ["颜色分类：薄荷;规格：120g×2", "颜色分类：茉莉;规格：120g×2"]),
    ("MH-TB01", "沐禾软毛牙刷10支装", 29.90, 3, 0, [""]),
    ("MH-MW01", "沐禾漱口水500ml", 35.90, 2, 0, [""]),
    ("MH-FW01", "沐禾氨基酸洗面奶120g", 49.90, 4, 0, [""]),
    ("MH-LB01", "沐禾润唇膏3支装", 29.90, 3, 0, [""]),
    ("MH-HW01", "沐禾泡沫洗手液3瓶装", 32.90, 3, 0, ["颜色分类：青柠;规格：300ml×3", "颜色分类：白茶;规格：300ml×3"]),
    ("MH-SP01", "沐禾止汗露走珠50ml", 39.90, 2, 0, [""]),
    ("MH-TR01", "沐禾旅行装洗护四件套", 29.90, 2, 0, [""]),
    ("MH-GS01", "沐禾洗护发礼盒三件套", 129.00, 1.2, 1, [""]),
    ("MH-GS02", "沐禾香氛沐浴礼盒", 169.00, 0.8, 1, ["颜色分类：玫瑰香;规格：礼盒装", "颜色分类：白桃;规格：礼盒装"]),
    ("MH-GS03", "沐禾护手霜礼盒8支装", 159.00, 0.8, 1, [""]),
    ("MH-GS04", "沐禾防脱洗护套装", 199.00, 0.5, 1, [""]),
    ("MH-GS05", "沐禾全身护理大礼包", 299.00, 0.3, 1, [""]),
]
N_SKU = len(PRODUCTS)
SKU_CODE = [p[0] for p in PRODUCTS]
SKU_TITLE = [p[1] for p in PRODUCTS]
SKU_PRICE = np.array([round(p[2] * 100) for p in PRODUCTS], dtype=np.int64)          # cents
# promotion price (双11, 618, 年货节 ...): about 15 % off, ending in .90
SKU_PROMO = np.array([max(100, int(c * 0.85) // 100 * 100 + 90) for c in SKU_PRICE], dtype=np.int64)
SKU_GIFT = np.array([p[4] for p in PRODUCTS], dtype=bool)
_W = np.array([p[3] for p in PRODUCTS], dtype=float)
SKU_W_NORMAL = _W / _W.sum()
_WP = _W * np.where(SKU_GIFT, 3.5, 1.0)
SKU_W_PROMO = _WP / _WP.sum()
SKU_PROPS_FLAT = [v for p in PRODUCTS for v in p[5]]
SKU_PROPS_N = np.array([len(p[5]) for p in PRODUCTS], dtype=np.int64)
SKU_PROPS_OFF = np.concatenate([[0], np.cumsum(SKU_PROPS_N)[:-1]]).astype(np.int64)

# (province as in Taobao addresses, city, districts, zip, weight, remote) -- municipalities
# are written without 市 in the province position, like real Taobao addresses.
REGIONS = [
    ("广东省", "广州市", ["越秀区", "天河区", "海珠区", "白云区", "番禺区"], "510000", 6, 0),
    ("广东省", "深圳市", ["福田区", "南山区", "宝安区", "龙岗区"], "518000", 6, 0),
    ("广东省", "东莞市", ["南城街道", "东城街道", "长安镇"], "523000", 2.5, 0),
    ("广东省", "佛山市", ["禅城区", "南海区", "顺德区"], "528000", 2, 0),
    ("浙江省", "杭州市", ["西湖区", "拱墅区", "余杭区", "滨江区", "萧山区"], "310000", 5, 0),
    ("浙江省", "宁波市", ["海曙区", "鄞州区", "江北区"], "315000", 2, 0),
    ("浙江省", "温州市", ["鹿城区", "瓯海区", "龙湾区"], "325000", 1.5, 0),
    ("江苏省", "南京市", ["玄武区", "鼓楼区", "江宁区", "秦淮区"], "210000", 3, 0),
    ("江苏省", "苏州市", ["姑苏区", "吴中区", "工业园区", "昆山市"], "215000", 3.5, 0),
    ("江苏省", "无锡市", ["梁溪区", "滨湖区", "新吴区"], "214000", 1.5, 0),
    ("上海", "上海市", ["浦东新区", "徐汇区", "闵行区", "静安区", "杨浦区", "宝山区"], "200000", 6, 0),
    ("北京", "北京市", ["朝阳区", "海淀区", "丰台区", "东城区", "昌平区"], "100000", 5, 0),
    ("天津", "天津市", ["南开区", "河西区", "滨海新区"], "300000", 1.5, 0),
    ("重庆", "重庆市", ["渝中区", "江北区", "渝北区", "沙坪坝区"], "400000", 2, 0),
    ("山东省", "济南市", ["历下区", "市中区", "槐荫区"], "250000", 1.5, 0),
    ("山东省", "青岛市", ["市南区", "崂山区", "黄岛区"], "266000", 2, 0),
    ("四川省", "成都市", ["锦江区", "武侯区", "成华区", "高新区"], "610000", 4, 0),
    ("福建省", "厦门市", ["思明区", "湖里区", "集美区"], "361000", 1.5, 0),
    ("福建省", "福州市", ["鼓楼区", "仓山区", "晋安区"], "350000", 1.5, 0),
    ("河南省", "郑州市", ["金水区", "二七区", "中原区"], "450000", 2.5, 0),
    ("湖北省", "武汉市", ["武昌区", "洪山区", "江汉区", "江岸区"], "430000", 3, 0),
    ("湖南省", "长沙市", ["岳麓区", "芙蓉区", "天心区", "雨花区"], "410000", 2.5, 0),
    ("安徽省", "合肥市", ["蜀山区", "包河区", "庐阳区"], "230000", 2, 0),
    ("河北省", "石家庄市", ["长安区", "桥西区", "裕华区"], "050000", 1.5, 0),
    ("陕西省", "西安市", ["雁塔区", "碑林区", "未央区"], "710000", 2, 0),
    ("辽宁省", "沈阳市", ["和平区", "沈河区", "浑南区"], "110000", 1.5, 0),
    ("辽宁省", "大连市", ["中山区", "沙河口区", "甘井子区"], "116000", 1, 0),
    ("江西省", "南昌市", ["东湖区", "红谷滩区", "青山湖区"], "330000", 1, 0),
    ("广西壮族自治区", "南宁市", ["青秀区", "兴宁区", "西乡塘区"], "530000", 1, 0),
    ("云南省", "昆明市", ["五华区", "盘龙区", "官渡区"], "650000", 1, 0),
    ("黑龙江省", "哈尔滨市", ["南岗区", "道里区", "香坊区"], "150000", 1, 0),
    ("吉林省", "长春市", ["朝阳区", "南关区", "绿园区"], "130000", 0.7, 0),
    ("山西省", "太原市", ["小店区", "迎泽区", "杏花岭区"], "030000", 0.8, 0),
    ("贵州省", "贵阳市", ["云岩区", "南明区", "观山湖区"], "550000", 0.7, 0),
    ("海南省", "海口市", ["龙华区", "美兰区"], "570000", 0.5, 0),
    ("甘肃省", "兰州市", ["城关区", "七里河区"], "730000", 0.4, 1),
    ("内蒙古自治区", "呼和浩特市", ["新城区", "赛罕区"], "010000", 0.4, 1),
    ("新疆维吾尔自治区", "乌鲁木齐市", ["天山区", "沙依巴克区"], "830000", 0.3, 1),
    ("宁夏回族自治区", "银川市", ["兴庆区", "金凤区"], "750000", 0.2, 1),
    ("青海省", "西宁市", ["城中区", "城西区"], "810000", 0.15, 1),
    ("西藏自治区", "拉萨市", ["城关区"], "850000", 0.05, 1),
]
# flatten to (region, district) pairs
_RD = [(ri, d) for ri, r in enumerate(REGIONS) for d in r[2]]
RD_REGION = np.array([ri for ri, _ in _RD], dtype=np.int64)
RD_PREFIX = [f"{REGIONS[ri][0]} {REGIONS[ri][1]} {d} " for ri, d in _RD]
_rdw = np.array([REGIONS[ri][4] / len(REGIONS[ri][2]) for ri, _ in _RD])
RD_W = _rdw / _rdw.sum()
REGION_REMOTE = np.array([r[5] for r in REGIONS], dtype=bool)

STREETS = ["中山路", "人民路", "解放路", "建设路", "和平路", "文化路", "新华路", "长江路", "黄河路", "光明路",
           "花园路", "学府路", "科技路", "滨江路", "东风路", "胜利路", "青年路", "幸福路", "工业路", "育才路",
           "华乐街道", "金沙街道", "南湖街道", "东湖路", "阳光大道", "世纪大道", "江南大道", "湖滨路"]
PLACES = ["", "", "", "小区", "花园", "公寓", "家园", "大厦"]

SURNAMES = list("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程")
GIVEN = list("芳娜静敏丽婷雪琳颖慧洁欣怡玲悦涵晨思雨佳梦瑶倩露萍燕霞红梅兰琴雯妍璐晓小雅诗文俊伟强磊军杰涛浩宇鹏斌明超勇刚辉健峰建华平亮")

PHONE_PREFIX = ["130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152", "155",
                "156", "157", "158", "159", "166", "176", "177", "180", "181", "182", "185", "186", "187",
                "188", "189", "198", "199"]
MAIL_DOMAINS = ["163.com", "qq.com", "126.com", "sina.com", "hotmail.com"]

_EN = ["lily", "amy", "coco", "tina", "anna", "cindy", "emma", "grace", "helen", "judy", "kelly", "lucy",
       "mandy", "nancy", "penny", "rose", "sally", "vicky", "wendy", "yoyo", "jack", "kevin", "leo", "tony",
       "eric", "jason", "mike", "peter", "sam", "tom", "alice", "bella", "candy", "daisy", "echo", "fiona",
       "iris", "joy", "kiki", "luna", "maggie", "nina", "olivia", "queenie", "ruby", "sunny", "vivian", "zoe"]
_PY_SUR = ["zhang", "wang", "li", "liu", "chen", "yang", "huang", "zhao", "wu", "zhou", "xu", "sun", "ma",
           "zhu", "hu", "guo", "he", "gao", "lin", "luo", "zheng", "liang", "xie", "song", "tang", "han", "feng",
           "deng", "cao", "peng", "zeng", "xiao", "tian", "dong", "yuan", "pan", "cai", "ye"]
_PY_GIVEN = ["wei", "fang", "na", "min", "jing", "li", "qiang", "lei", "jun", "yang", "yong", "yan", "jie",
             "juan", "tao", "ming", "chao", "xiuying", "xia", "ping", "gang", "hui", "dan", "ting", "xue",
             "yu", "hao", "xin", "yi", "yue", "han", "chen", "si", "meng", "yao", "qian", "lu", "ying",
             "xiaoyu", "xiaoli", "mengmeng", "tingting", "lili", "xinyi", "haoran", "zihan", "yuxuan"]
_CN_PHRASES = ["小鹿乱撞", "今天也要开心", "橘子汽水", "快乐小猪", "夏天的风", "柠檬不萌", "一只小可爱", "爱吃鱼的猫",
               "星星点灯", "追风少年", "半夏微凉", "南风知我意", "奶茶续命", "草莓味的云", "月亮不睡我不睡",
               "温柔的晚风", "樱桃小丸子", "晴天娃娃", "兔子不吃草", "蓝色天空", "向日葵", "小确幸", "微笑的鱼",
               "森林里的鹿", "苹果日记", "薄荷糖", "彩虹糖", "清风徐来", "花开半夏", "心安即是家", "静待花开",
               "木子李", "陈小白", "阿狸", "大白兔", "开心果", "懒羊羊", "布丁妈妈", "果果妈", "豆豆妈咪",
               "宝宝的妈", "幸福一家人", "平安是福", "知足常乐", "云淡风轻", "岁月静好", "一路向北", "海边的贝壳",
               "小太阳", "糖果屋", "晚安喵", "猫咪老师", "暖暖", "甜甜圈", "芒果布丁", "小熊饼干", "西瓜太郎",
               "吃货一枚", "努力的小胖", "会飞的鱼", "咸鱼翻身", "天天向上", "睡不醒的猫", "梦想家", "小仙女",
               "水瓶座", "双鱼座的雨", "冬天的雪", "山有木兮", "浅笑安然", "七月的风", "白开水", "牛奶咖啡"]


def _build_vocab():
    latin = []
    latin += [e + s for e in _EN for s in _PY_SUR]
    latin += [s + g for s in _PY_SUR for g in _PY_GIVEN]
    latin += _EN
    latin = list(dict.fromkeys(latin))                 # dedupe, keep order
    assert all(w.isascii() and w.isalpha() for w in latin)
    chinese = list(_CN_PHRASES)
    for i, s in enumerate(SURNAMES):                   # name-like nicks: 张丽华 ...
        for j in range(12):
            chinese.append(s + GIVEN[(i * 7 + j * 5) % len(GIVEN)] + GIVEN[(i * 3 + j * 11 + 1) % len(GIVEN)])
    chinese = list(dict.fromkeys(chinese))
    return latin, chinese


NICK_LATIN, NICK_CHINESE = _build_vocab()
NICK_PATTERN_P = [0.30, 0.35, 0.25, 0.10]   # latin word+num, chinese word+num, tbNNN_NN, t_13digits

# Chinese New Year (Spring Festival) dates
CNY = [date(2016, 2, 8), date(2017, 1, 28), date(2018, 2, 16), date(2019, 2, 5), date(2020, 1, 25), date(2021, 2, 12), date(2022, 2, 1), date(2023, 1, 22),
       date(2024, 2, 10), date(2025, 1, 29), date(2026, 2, 17), date(2027, 2, 6), date(2028, 1, 26),
       date(2029, 2, 13), date(2030, 2, 3)]

# hour-of-day weights: peaks 10-12 and 20-23, very low 2-7 am
HOUR_NORMAL = np.array([2.4, 1.3, 0.6, 0.35, 0.25, 0.3, 0.6, 1.4, 2.8, 4.0, 5.6, 5.9,
                        4.9, 4.6, 4.7, 4.6, 4.4, 4.1, 4.0, 4.9, 6.3, 6.9, 6.5, 4.4])


def _hour_cdfs():
    d11 = HOUR_NORMAL.copy()
    d11[0] *= 14
    d11[1] *= 5
    d11[2] *= 2.2
    d11[20:] *= 1.2
    d618 = HOUR_NORMAL.copy()
    d618[0] *= 7
    d618[1] *= 3
    eve = HOUR_NORMAL.copy()         # evening launch of a presale wave (Oct 31, May 31 at 20:00)
    eve[20:] *= 2.2
    profiles = np.vstack([HOUR_NORMAL, d11, d618, eve])
    cdf = np.cumsum(profiles, axis=1)
    return cdf / cdf[:, -1:]


HOUR_CDF = _hour_cdfs()

# customer behaviour
P_RETURN = np.array([0.39, 0.57, 0.66])     # after 1st, 2nd, 3rd+ purchase
GAP_MEAN = 100.0                            # days, gamma(shape 4)
GAP_SHAPE = 4.0
HEAVY_SHARE = 0.010                         # very loyal customers: short cycle, rarely churn
HEAVY_GAP_MEAN = 45.0
HEAVY_P_RETURN = 0.93
GROWTH_PER_YEAR = 1.18                      # new-customer arrivals grow ~18 % a year
BURN_IN_DAYS = 540                          # shop history simulated before the export window
BULK_P = 0.012                              # share of big (bulk/gift) orders
BULK_P_HEAVY = 0.25
EXTRA_MEMBER_SHARE = 0.05                   # members who never bought
LEVEL_THRESHOLDS = np.array([200_00, 800_00, 2000_00, 5000_00], dtype=np.int64)   # cents


# --------------------------------------------------------------------------------------------
# Calendar
# --------------------------------------------------------------------------------------------
def _calendar(first: date, n_days: int):
    """Per-day arrays: demand weight, hour-of-day profile (0-3), promotion flag (price, gift sets)."""
    w = np.ones(n_days)
    hour_type = np.zeros(n_days, dtype=np.int8)
    promo = np.zeros(n_days, dtype=bool)
    weekday_f = [1.00, 0.99, 0.97, 0.98, 1.01, 1.05, 1.06]
    month_f = [1.0, 0.97, 1.05, 1.0, 1.0, 1.0, 0.94, 0.95, 1.0, 0.96, 1.0, 1.04]
    cny_by_year = {c.year: c for c in CNY}
    for i in range(n_days):
        d = first + timedelta(days=i)
        f = weekday_f[d.weekday()] * month_f[d.month - 1]
        m, dd = d.month, d.day
        # 双11: ramp Oct 20 - Nov 10, first wave Oct 31/Nov 1, spike Nov 11, hangover after
        if (m == 10 and dd >= 20) or (m == 11 and dd <= 10):
            k = (dd - 20) if m == 10 else (11 + dd)
            f *= 1.2 + 0.6 * k / 21
            if (m == 10 and dd == 31) or (m == 11 and dd == 1):
                f *= 1.5
            promo[i] = True
            if m == 10 and dd == 31:
                hour_type[i] = 3
        elif m == 11 and dd == 11:
            f *= 4.6
            promo[i] = True
            hour_type[i] = 1
        elif m == 11 and 12 <= dd <= 14:
            f *= [1.4, 1.2, 1.1][dd - 12]
        elif m == 11 and 15 <= dd <= 25:
            f *= 0.85
        # 双12
        elif m == 12 and 10 <= dd <= 12:
            f *= [1.3, 1.5, 1.9][dd - 10]
            promo[i] = True
        # 618: first wave May 31 evening / Jun 1, ramp, spike Jun 18
        if m == 5 and dd == 31:
            f *= 1.3
            hour_type[i] = 3
        elif m == 6 and dd <= 17:
            f *= 2.0 if dd == 1 else 1.2 + 0.5 * dd / 17
            promo[i] = True
        elif m == 6 and dd == 18:
            f *= 2.6
            promo[i] = True
            hour_type[i] = 2
        elif m == 6 and 19 <= dd <= 25:
            f *= 0.85
        # 3.8 女王节
        if m == 3 and 5 <= dd <= 8:
            f *= [1.2, 1.25, 1.3, 1.6][dd - 5]
            promo[i] = True
        # 年货节 (about 3 weeks before CNY), logistics stop, quiet after CNY
        for cy in (d.year, d.year + 1):
            c = cny_by_year.get(cy)
            if c is None:
                continue
            off = (d - c).days
            if -24 <= off <= -10:
                f *= 1.5
                promo[i] = True
            elif -9 <= off <= -1:
                f *= 0.95
            elif 0 <= off <= 7:
                f *= 0.55
            elif 8 <= off <= 15:
                f *= 0.8
        w[i] = f
    return w, hour_type, promo


def _promo_targets(first: date, n_days: int):
    """Days (index) towards which repeat purchases are pulled: 双11, 618 and mid-年货节."""
    targets, kinds = [], []
    for y in range(first.year - 1, first.year + n_days // 365 + 3):
        for d, kind in ((date(y, 6, 18), 0), (date(y, 11, 11), 0)):
            targets.append((d - first).days)
            kinds.append(kind)
    for c in CNY:
        targets.append((c - timedelta(days=15) - first).days)
        kinds.append(1)
    order = np.argsort(targets)
    t = np.array(targets, dtype=np.int64)[order]
    k = np.array(kinds, dtype=np.int8)[order]
    return np.append(t, 10 ** 9), np.append(k, 1)


# --------------------------------------------------------------------------------------------
# Customer purchase chains
# --------------------------------------------------------------------------------------------
def _snap_to_promo(rng, days, targets, kinds):
    """Some repeat purchases wait for an upcoming promotion (within 3 weeks)."""
    j = np.searchsorted(targets, days)
    p = targets[j]
    dd = p - days
    cand = (dd <= 21) & (rng.random(days.size) < 0.30)
    spike = cand & (kinds[j] == 0) & (rng.random(days.size) < 0.5)
    ramp = cand & ~spike
    out = np.where(spike, p, days)
    return np.where(ramp, days + (rng.random(days.size) * (dd + 1)).astype(np.int64), out)


def _simulate_orders(rng, n_orders, w_all, burn, targets, kinds):
    """Simulate customers' purchase days; return (cust, day) for exactly n_orders visible orders.

    Days are indexed from the start of the burn-in period; orders before ``burn`` are history
    that is not exported (it only makes the repeat-buyer population realistic from day one).
    """
    n_all = len(w_all)
    years = np.arange(n_all) / 365.0
    p_new = w_all * GROWTH_PER_YEAR ** years
    p_new /= p_new.sum()
    cids, days, heavies = [], [], []
    cid0 = 0
    visible = 0
    while visible < n_orders:
        m = int((n_orders - visible) / 1.6) + 500
        arrive = rng.choice(n_all, m, p=p_new).astype(np.int64)
        heavy = rng.random(m) < HEAVY_SHARE
        heavies.append(heavy)
        mult = np.where(heavy, HEAVY_GAP_MEAN / GAP_MEAN, rng.lognormal(0.0, 0.22, m))
        cur = arrive.copy()
        idx = np.arange(m)
        c_parts, d_parts = [idx + cid0], [arrive]
        k = 1
        while idx.size:
            p = np.where(heavy[idx], HEAVY_P_RETURN, P_RETURN[min(k, 3) - 1])
            idx = idx[rng.random(idx.size) < p]
            gap = rng.gamma(GAP_SHAPE, GAP_MEAN / GAP_SHAPE, idx.size) * mult[idx]
            gap = np.maximum(gap + rng.normal(0.0, 3.0, idx.size), 5.0)
            nd = _snap_to_promo(rng, cur[idx] + np.rint(gap).astype(np.int64), targets, kinds)
            ok = nd < n_all
            idx = idx[ok]
            cur[idx] = nd[ok]
            c_parts.append(idx + cid0)
            d_parts.append(nd[ok])
            k += 1
        c = np.concatenate(c_parts)
        d = np.concatenate(d_parts)
        vis = d >= burn
        cids.append(c[vis])
        days.append(d[vis] - burn)
        visible += int(vis.sum())
        cid0 += m
    c = np.concatenate(cids)
    d = np.concatenate(days)
    uniq, c = np.unique(c, return_inverse=True)       # compact ids of buyers with visible orders
    counts = np.bincount(c)
    cum = np.cumsum(counts)
    cut = int(np.searchsorted(cum, n_orders))          # first customer reaching n_orders
    remain = n_orders - (int(cum[cut - 1]) if cut > 0 else 0)
    keep = c < cut
    last = np.flatnonzero(c == cut)
    last = last[np.argsort(d[last], kind="stable")][:remain]
    keep[last] = True
    heavy = np.concatenate(heavies)[uniq[:cut + 1]]
    return c[keep].astype(np.int32), d[keep].astype(np.int32), heavy


# --------------------------------------------------------------------------------------------
# Customer attributes
# --------------------------------------------------------------------------------------------
def _unique_ints(n, sampler):
    """n distinct integers, in random order, drawn with ``sampler(size, attempt)``.

    Duplicates are dropped (first draw wins) and the shortfall is drawn again; samplers
    switch to a wide uniform range after the first attempt so this converges quickly.
    """
    have = np.empty(0, dtype=np.int64)
    attempt = 0
    while have.size < n:
        cand = np.concatenate([have, sampler(int((n - have.size) * 1.3) + 16, attempt).astype(np.int64)])
        _, first = np.unique(cand, return_index=True)
        have = cand[np.sort(first)]
        attempt += 1
    return have[:n]


def _customer_attrs(rng, n):
    """Compact (integer) attributes of n customers; strings are formatted when written."""
    a = {}
    pat = rng.choice(4, n, p=NICK_PATTERN_P).astype(np.int8)
    code = np.zeros(n, dtype=np.int64)
    for p, vocab in ((0, NICK_LATIN), (1, NICK_CHINESE)):
        sel = np.flatnonzero(pat == p)
        r = max(10_000, 4 * sel.size // len(vocab) + 1)
        nv = len(vocab)

        def sampler(size, attempt, r=r, nv=nv):
            # suffix: none, a birth year, a small number, or any number below r
            word = rng.integers(0, nv, size)
            kind = rng.random(size) if attempt == 0 else np.ones(size)
            num = np.where(kind < 0.25, 0,
                           np.where(kind < 0.55, rng.integers(1970, 2012, size),
                                    np.where(kind < 0.8, rng.integers(1, 100, size), rng.integers(1, r, size))))
            return word * r + num
        code[sel] = _unique_ints(sel.size, sampler)
        a[f"nick_r{p}"] = r
    sel = np.flatnonzero(pat == 2)                                      # tb1234567_22
    code[sel] = _unique_ints(sel.size, lambda size, _: _random_digits(rng, size, 7, 10))
    sel = np.flatnonzero(pat == 3)                                      # t_1500346895411
    code[sel] = _unique_ints(sel.size, lambda size, _: rng.integers(1_350_000_000_000, 1_700_000_000_000, size))
    a["nick_pat"], a["nick_code"] = pat, code
    a["nick_x"] = rng.integers(0, 100, n).astype(np.int8)
    # receiver name
    a["sur"] = rng.choice(len(SURNAMES), n, p=_surname_p()).astype(np.int16)
    a["g1"] = rng.integers(0, len(GIVEN), n).astype(np.int16)
    a["g2"] = np.where(rng.random(n) < 0.75, rng.integers(0, len(GIVEN), n), -1).astype(np.int16)
    # address
    a["rd"] = rng.choice(len(RD_W), n, p=RD_W).astype(np.int16)
    a["street"] = rng.integers(0, len(STREETS), n).astype(np.int16)
    a["place"] = rng.integers(0, len(PLACES), n).astype(np.int8)
    a["house"] = (rng.integers(1, 400, n)).astype(np.int16)
    a["zipx"] = rng.integers(0, 100, n).astype(np.int16)
    # phone: fake numbers with middle block 0000
    a["pp"] = rng.integers(0, len(PHONE_PREFIX), n).astype(np.int8)
    a["p4"] = rng.integers(0, 10_000, n).astype(np.int16)
    a["mail"] = np.where(rng.random(n) < 0.12, rng.integers(0, len(NICK_LATIN), n), -1).astype(np.int32)
    a["mdom"] = rng.integers(0, len(MAIL_DOMAINS), n).astype(np.int8)
    # behaviour
    a["fav"] = rng.choice(N_SKU, n, p=SKU_W_NORMAL).astype(np.int8)
    a["tail"] = rng.integers(0, 10_000, n).astype(np.int16)       # last 4 digits of order ids
    a["mobile"] = rng.random(n) < 0.93
    return a


def _random_digits(rng, size, lo_len, hi_len):
    """Random integers with lo_len..hi_len digits (length uniform)."""
    length = rng.integers(lo_len, hi_len + 1, size)
    lo = 10 ** (length - 1)
    return lo + (rng.random(size) * (9 * lo)).astype(np.int64)


def _surname_p():
    w = 1.0 / np.arange(1, len(SURNAMES) + 1) ** 0.6
    return w / w.sum()


def _nick_strings(a, idx):
    pat, code, x = a["nick_pat"][idx].tolist(), a["nick_code"][idx].tolist(), a["nick_x"][idx].tolist()
    r0, r1 = a["nick_r0"], a["nick_r1"]
    out = []
    ap = out.append
    for p, c, xx in zip(pat, code, x):
        if p == 0:
            w, num = divmod(c, r0)
            ap(NICK_LATIN[w] + str(num) if num else NICK_LATIN[w])
        elif p == 1:
            w, num = divmod(c, r1)
            ap(NICK_CHINESE[w] + str(num) if num else NICK_CHINESE[w])
        elif p == 2:
            ap(f"tb{c}_{xx:02d}")
        else:
            ap(f"t_{c}")
    return out


def _phone_strings(a, idx, masked):
    pp, p4 = a["pp"][idx].tolist(), a["p4"][idx].tolist()
    mid = "****" if masked else "0000"
    return [f"{PHONE_PREFIX[p]}{mid}{q:04d}" for p, q in zip(pp, p4)]


def _alipay_strings(a, idx):
    mail, dom = a["mail"][idx].tolist(), a["mdom"][idx].tolist()
    phones = _phone_strings(a, idx, masked=True)
    return [ph if m < 0 else f"{NICK_LATIN[m][:3]}***@{MAIL_DOMAINS[dm]}" for ph, m, dm in zip(phones, mail, dom)]


def _name_strings(a, idx):
    s, g1, g2 = a["sur"][idx].tolist(), a["g1"][idx].tolist(), a["g2"][idx].tolist()
    return [SURNAMES[x] + GIVEN[y] + (GIVEN[z] if z >= 0 else "") for x, y, z in zip(s, g1, g2)]


def _address_strings(a, idx):
    cols = [a[k][idx].tolist() for k in ("rd", "street", "place", "house", "zipx")]
    out = []
    ap = out.append
    for rd, st, pl, ho, zx in zip(*cols):
        zp = REGIONS[RD_REGION[rd]][3]
        detail = f"{STREETS[st]}{ho}号"
        if PLACES[pl]:
            detail += STREETS[(st + ho) % len(STREETS)][:2] + PLACES[pl]
        ap(f"{RD_PREFIX[rd]}{detail}({zp[:4]}{zx:02d})")
    return out


# --------------------------------------------------------------------------------------------
# Formatting helpers
# --------------------------------------------------------------------------------------------
def _money(cents):
    c = np.asarray(cents, dtype=np.int64)
    return [f"{y}.{f:02d}" for y, f in zip((c // 100).tolist(), (c % 100).tolist())]


class _Clock:
    """Formats second offsets (from the first exported day) as 'YYYY-MM-DD HH:MM:SS'."""

    def __init__(self, first: date, n_days: int):
        self.days = [(first + timedelta(days=i)).isoformat() + " " for i in range(n_days)]
        self.tod = [f"{h:02d}:{m:02d}:{s:02d}" for h in range(24) for m in range(60) for s in range(60)]

    def fmt(self, secs):
        s = np.asarray(secs, dtype=np.int64)
        d, t = (s // 86400).tolist(), (s % 86400).tolist()
        days, tod = self.days, self.tod
        return [days[a] + tod[b] for a, b in zip(d, t)]


# --------------------------------------------------------------------------------------------
# Main entry point
# --------------------------------------------------------------------------------------------
def _years_before(d: date, years: int) -> date:
    try:
        return d.replace(year=d.year - years)
    except ValueError:                      # Feb 29
        return d.replace(year=d.year - years, day=28)


def generate(out_dir, orders: int = 20000, seed: int = 7, end: date | str = date(2026, 10, 31),
             years: int = 3, encoding: str = "gbk", items: bool = True, members: bool = True,
             verbose: bool = False) -> dict:
    """Write the shop's export files into ``out_dir``; return paths and true totals.

    Returns a dict with the true totals (definitions of ../shared/DESIGN.md):

    * ``paths``: the files written; ``timestamp``: their yyyyMMddHHmm suffix; ``seconds``.
    * ``orders``: rows of ExportOrderList; ``item_lines``: rows of ExportOrderDetailList.
    * ``buyers``: distinct 买家会员名 in the order file (any status).
    * ``purchases``: paid orders not refunded in full; ``purchase_buyers``: distinct buyers with
      at least one purchase; ``gmv_cents`` / ``gmv``: Σ(买家实际支付金额 − 退款金额) over purchases.
    * ``members``: rows of the member file (every buyer + ~5 % members who never bought).
    """
    t_start = time.perf_counter()
    if isinstance(end, str):
        end = date.fromisoformat(end)
    if orders < 1:
        raise ValueError("orders must be >= 1")
    if encoding.lower().replace("_", "-") not in ("gbk", "utf-8-sig", "gb18030", "utf-8"):
        raise ValueError(f"unsupported encoding {encoding!r}")
    os.makedirs(out_dir, exist_ok=True)

    first = _years_before(end, years) + timedelta(days=1)
    n_days = (end - first).days + 1
    export_dt = datetime.combine(end + timedelta(days=1), datetime.min.time()).replace(hour=9, minute=30)
    stamp = export_dt.strftime("%Y%m%d%H%M")
    export_sec = n_days * 86400 + 9 * 3600 + 30 * 60        # seconds from `first`

    rng = np.random.default_rng([seed, 0])
    hist_first = first - timedelta(days=BURN_IN_DAYS)
    w_all, htype_all, promo_all = _calendar(hist_first, BURN_IN_DAYS + n_days)
    targets, kinds = _promo_targets(hist_first, BURN_IN_DAYS + n_days)
    cust, day, heavy = _simulate_orders(rng, orders, w_all, BURN_IN_DAYS, targets, kinds)
    n_buyers = heavy.size
    htype = htype_all[BURN_IN_DAYS:]
    promo = promo_all[BURN_IN_DAYS:]

    # time of day
    u = rng.random(orders)
    ht = htype[day]
    hour = np.empty(orders, dtype=np.int64)
    for t in range(HOUR_CDF.shape[0]):
        m = ht == t
        hour[m] = np.minimum(np.searchsorted(HOUR_CDF[t], u[m], side="right"), 23)
    created = day.astype(np.int64) * 86400 + hour * 3600 + rng.integers(0, 3600, orders)
    order = np.argsort(created, kind="stable")
    cust, created = cust[order], created[order]
    del day, u, ht, hour, order

    # order id core: strictly increasing with time, crosses 18 -> 19 digits mid-way
    span = 3 * 10 ** 12
    step_max = max(2, 2 * span // orders)
    core = 98_500_000_000_000 + np.cumsum(rng.integers(1, step_max, orders, dtype=np.int64))

    n_extra = int(round(n_buyers * EXTRA_MEMBER_SHARE))
    attrs = _customer_attrs(rng, n_buyers + n_extra)
    attrs["heavy"] = np.concatenate([heavy, np.zeros(n_extra, dtype=bool)])

    clock = _Clock(first, n_days + 60)
    p_orders = os.path.join(out_dir, f"ExportOrderList{stamp}.csv")
    p_items = os.path.join(out_dir, f"ExportOrderDetailList{stamp}.csv")
    p_members = os.path.join(out_dir, f"会员信息{stamp}.csv")
    paths = [p_orders] + ([p_items] if items else []) + ([p_members] if members else [])

    book = _MemberBook(n_buyers + n_extra)
    n_lines = 0
    fo = open(p_orders, "w", encoding=encoding, newline="")
    fi = open(p_items, "w", encoding=encoding, newline="") if items else None
    try:
        fo.write(",".join(ORDER_HEADER) + "\r\n")
        if fi:
            fi.write(",".join(DETAIL_HEADER) + "\r\n")
        # newest first, like the platform export
        n_chunks = (orders + CHUNK - 1) // CHUNK
        for ci in range(n_chunks):
            hi = orders - ci * CHUNK
            lo = max(0, hi - CHUNK)
            sl = slice(lo, hi)
            crng = np.random.default_rng([seed, 1, ci])
            rows, lines, stats = _chunk(crng, cust[sl][::-1], created[sl][::-1], core[sl][::-1],
                                        attrs, promo, n_days, export_sec, clock, items)
            fo.write("\r\n".join(rows))
            fo.write("\r\n")
            if fi:
                fi.write("\r\n".join(lines))
                fi.write("\r\n")
            book.add(stats)
            n_lines += stats.n_lines
            if verbose:
                print(f"  chunk {ci + 1}/{n_chunks} written ({time.perf_counter() - t_start:.1f}s)",
                      file=sys.stderr)
    finally:
        fo.close()
        if fi:
            fi.close()

    if members:
        book.write(p_members, encoding, rng, attrs, clock)

    return {
        "paths": paths,
        "orders": int(orders),
        "buyers": int(n_buyers),
        "members": int(book.size),
        "item_lines": int(n_lines),
        "purchases": int(book.purchases.sum()),
        "purchase_buyers": int((book.purchases > 0).sum()),
        "gmv_cents": int(book.gmv_cents),
        "gmv": round(book.gmv_cents / 100, 2),
        "timestamp": stamp,
        "seconds": round(time.perf_counter() - t_start, 2),
    }


def _chunk(rng, c, created, core, a, promo, n_days, export_sec, clock, want_items):
    """Build the CSV lines of one chunk of orders (already in output order)."""
    n = c.size
    day = created // 86400
    is_promo = promo[np.minimum(day, n_days - 1)]
    cl = c.astype(np.int64)

    # ---- item lines --------------------------------------------------------------------
    nlines = rng.choice(4, n, p=[0.76, 0.18, 0.05, 0.01]) + 1
    keys = np.where(is_promo[:, None], np.log(SKU_W_PROMO)[None, :], np.log(SKU_W_NORMAL)[None, :])
    keys = keys + rng.gumbel(size=(n, N_SKU))
    fav_first = rng.random(n) < 0.55
    keys[np.flatnonzero(fav_first), a["fav"][cl[fav_first]]] = np.inf
    top = np.argsort(-keys, axis=1)[:, :4]
    del keys
    mask = np.arange(4)[None, :] < nlines[:, None]
    sku = top[mask]                                                  # row-major: grouped by order
    oi = np.repeat(np.arange(n), nlines)
    start = np.concatenate([[0], np.cumsum(nlines)[:-1]])
    first_line = np.zeros(sku.size, dtype=bool)
    first_line[start] = True
    qty = rng.choice(3, sku.size, p=[0.85, 0.115, 0.035]) + 1
    gift = SKU_GIFT[sku]
    qty = np.where(gift & (rng.random(sku.size) < 0.8), 1, qty)
    # big orders (company gifts, stocking up); loyal heavy buyers do it often
    bulk = rng.random(n) < np.where(a["heavy"][cl], BULK_P_HEAVY, BULK_P)
    qty = np.where(bulk[oi] & first_line, qty + rng.integers(2, 5, sku.size), qty)
    price = np.where(is_promo[oi], SKU_PROMO[sku], SKU_PRICE[sku])
    line_amt = price * qty
    goods = np.add.reduceat(line_amt, start)
    nqty = np.add.reduceat(qty, start)

    # ---- amounts ---------------------------------------------------------------------------
    remote = REGION_REMOTE[RD_REGION[a["rd"][cl]]]
    small = goods < 39_00
    ship = np.where(remote, 10_00, np.where(small & (rng.random(n) < 0.6),
                                            np.where(rng.random(n) < 0.5, 5_00, 8_00), 0))
    total = goods + ship

    # ---- status and times --------------------------------------------------------------------
    last_day = day >= n_days - 1
    u = rng.random(n)
    closed_unpaid = u < 0.05
    unpaid = last_day & ~closed_unpaid & (u < 0.14)
    paid_mask = ~closed_unpaid & ~unpaid
    pay_delay = np.where(rng.random(n) < 0.04, rng.integers(600, 8 * 3600, n),
                         np.minimum(rng.lognormal(np.log(40), 1.1, n), 3000).astype(np.int64) + 3)
    pay_t = np.minimum(created + pay_delay, export_sec - 60)
    rush = is_promo & (created % 86400 < 2 * 3600)                   # promo midnight rush ships late
    ship_t = (pay_t + (4 * 3600 + rng.gamma(2.0, 8 * 3600, n)).astype(np.int64)
              + rush * rng.integers(0, 2 * 86400, n))
    auto = rng.random(n) < 0.35
    conf_t = ship_t + np.where(auto, 10 * 86400 + rng.integers(0, 6 * 3600, n),
                               (2 * 86400 + rng.gamma(2.0, 1.5 * 86400, n)).astype(np.int64))
    st = np.full(n, 0, dtype=np.int8)
    st[paid_mask & (conf_t > export_sec)] = 1
    st[paid_mask & (ship_t > export_sec)] = 2
    st[unpaid] = 3
    st[closed_unpaid] = 4
    v = rng.random(n)
    old = (export_sec - created) > 3 * 86400
    full_ref = paid_mask & old & (v < 0.026)
    st[full_ref] = 4
    part_ref = (st == 0) & (v >= 0.026) & (v < 0.0475)

    paid_amt = np.where(paid_mask, total, 0)
    refund = np.zeros(n, dtype=np.int64)
    refund[full_ref] = paid_amt[full_ref]
    unit_first = price[start]
    comp = np.maximum(100, (paid_amt * rng.uniform(0.1, 0.4, n)).astype(np.int64) // 100 * 100)
    pr = np.where(nqty > 1, unit_first, comp)
    pr = np.minimum(pr, paid_amt - 1)
    refund[part_ref] = pr[part_ref]
    net = paid_amt - refund

    # ---- strings ------------------------------------------------------------------------------
    ids = (core * 10_000 + a["tail"][cl].astype(np.int64)).tolist()
    oid = [f'="{x}"' for x in ids]
    nick = _nick_strings(a, cl)
    alipay = _alipay_strings(a, cl)
    name = _name_strings(a, cl)
    addr = _address_strings(a, cl)
    phone = _phone_strings(a, cl, masked=False)
    ct = clock.fmt(created)
    pt_all = clock.fmt(pay_t)
    cf_all = clock.fmt(conf_t)
    pm = paid_mask.tolist()
    pt = [p if m else "" for p, m in zip(pt_all, pm)]
    s0 = (st == 0).tolist()
    cf = [x if m else "null" for x, m in zip(cf_all, s0)]
    status = [STATUSES[x] for x in st.tolist()]
    reason = [NOT_CLOSED] * n
    ridx = rng.integers(0, 1000, n)
    for i in np.flatnonzero(closed_unpaid).tolist():
        reason[i] = CLOSE_UNPAID_REASONS[ridx[i] % len(CLOSE_UNPAID_REASONS)]
    for i in np.flatnonzero(full_ref).tolist():
        reason[i] = CLOSE_REFUND_REASONS[ridx[i] % len(CLOSE_REFUND_REASONS)]
    mobile = ["手机订单" if m else "" for m in a["mobile"][cl].tolist()]
    goods_s, ship_s, total_s = _money(goods), _money(ship), _money(total)
    paid_s, refund_s = _money(paid_amt), _money(refund)

    titles_line = [SKU_TITLE[x] for x in sku.tolist()]
    bounds = np.append(start, sku.size).tolist()
    nl = nlines.tolist()
    title = [titles_line[b] if k == 1 else "，".join(titles_line[b:b + k]) for b, k in zip(bounds, nl)]

    tail = "," * 18          # the 17 empty columns 分阶段订单信息 .. 新零售发货门店id
    rows = [
        f"{o},{nk},{al},,,{g},{sh},,{t},,{p},,{s},,{nm},{ad},快递,,'{ph},{c1},{p1},{ti},{k},,,,{q},,"
        f"{SHOP_NAME},{r},,0元,,{mo}{tail}{rf},,{cfm},,,,,,,"
        for o, nk, al, g, sh, t, p, s, nm, ad, ph, c1, p1, ti, k, q, r, mo, rf, cfm in zip(
            oid, nick, alipay, goods_s, ship_s, total_s, paid_s, status, name, addr, phone, ct, pt, title,
            nl, nqty.tolist(), reason, mobile, refund_s, cf)
    ]

    lines = []
    if want_items:
        props_idx = SKU_PROPS_OFF[sku] + (rng.random(sku.size) * SKU_PROPS_N[sku]).astype(np.int64)
        props = [SKU_PROPS_FLAT[x] for x in props_idx.tolist()]
        price_s = _money(price)
        oil = oi.tolist()
        codes = [SKU_CODE[x] for x in sku.tolist()]
        lines = [f"{oid[o]},{ti},{pr_},{q},,{pp},,,{status[o]},{cd}"
                 for o, ti, pr_, q, pp, cd in zip(oil, titles_line, price_s, qty.tolist(), props, codes)]

    stats = _ChunkStats(cl, st, net, total, nqty, created, paid_mask & ~full_ref, int(sku.size))
    return rows, lines, stats


class _ChunkStats(NamedTuple):
    """Per-order values of one chunk that the member export and the totals need."""
    cust: np.ndarray        # customer index
    status: np.ndarray      # index into STATUSES
    net: np.ndarray         # 买家实际支付金额 - 退款金额, cents
    total: np.ndarray       # 总金额, cents
    qty: np.ndarray         # 宝贝总数量
    created: np.ndarray     # seconds from the first exported day
    purchase: np.ndarray    # paid and not refunded in full
    n_lines: int


class _MemberBook:
    """Per-customer totals for the CRM member export, accumulated chunk by chunk."""

    def __init__(self, size: int):
        self.size = size
        z = lambda: np.zeros(size, dtype=np.int64)   # noqa: E731
        self.succ_n, self.succ_amt, self.succ_items = z(), z(), z()
        self.close_n, self.close_amt, self.close_items = z(), z(), z()
        self.purchases = z()
        self.last = np.full(size, -1, dtype=np.int64)
        self.gmv_cents = 0

    def add(self, s: _ChunkStats):
        ok = s.status == 0                     # 交易成功
        np.add.at(self.succ_n, s.cust[ok], 1)
        np.add.at(self.succ_amt, s.cust[ok], s.net[ok])
        np.add.at(self.succ_items, s.cust[ok], s.qty[ok])
        cl = s.status == 4                     # 交易关闭
        np.add.at(self.close_n, s.cust[cl], 1)
        np.add.at(self.close_amt, s.cust[cl], s.total[cl])
        np.add.at(self.close_items, s.cust[cl], s.qty[cl])
        np.add.at(self.purchases, s.cust[s.purchase], 1)
        np.maximum.at(self.last, s.cust, s.created)
        self.gmv_cents += int(s.net[s.purchase].sum())

    def write(self, path, encoding, rng, a, clock):
        level = np.searchsorted(LEVEL_THRESHOLDS, self.succ_amt, side="right")
        level[self.succ_n == 0] = 0
        avg = np.where(self.succ_n > 0, np.rint(self.succ_amt / np.maximum(self.succ_n, 1)), 0)
        avg = avg.astype(np.int64)
        perm = rng.permutation(self.size)          # buyers and never-bought members mixed
        with open(path, "w", encoding=encoding, newline="") as f:
            f.write(",".join(MEMBER_HEADER) + "\r\n")
            for lo in range(0, self.size, CHUNK):
                idx = perm[lo:lo + CHUNK]
                last = self.last[idx]
                last_s = [x if t >= 0 else "" for x, t in zip(clock.fmt(np.maximum(last, 0)), last.tolist())]
                reg = RD_REGION[a["rd"][idx]].tolist()
                cols = (_nick_strings(a, idx), level[idx].tolist(), self.succ_n[idx].tolist(),
                        _money(self.succ_amt[idx]), _money(self.close_amt[idx]), self.close_n[idx].tolist(),
                        reg, self.succ_items[idx].tolist(), _money(avg[idx]), last_s,
                        self.close_items[idx].tolist(), _phone_strings(a, idx, masked=True))
                rows = [f"{lo + i + 1},{nk},{lv},{sn},{sa},{ca},{cn},{REGIONS[r][0]},{REGIONS[r][1]},{it},"
                        f"{av},{lt},{ci},{ph},{SELLER_ID}"
                        for i, (nk, lv, sn, sa, ca, cn, r, it, av, lt, ci, ph) in enumerate(zip(*cols))]
                f.write("\r\n".join(rows))
                f.write("\r\n")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--orders", type=int, required=True, help="number of orders to generate")
    ap.add_argument("--out", required=True, help="output directory")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--end", default="2026-10-31", help="last order day (YYYY-MM-DD)")
    ap.add_argument("--years", type=int, default=3)
    ap.add_argument("--encoding", default="gbk", choices=["gbk", "utf-8-sig"])
    ap.add_argument("--no-items", action="store_true", help="skip ExportOrderDetailList")
    ap.add_argument("--no-members", action="store_true", help="skip the 会员信息 member file")
    ap.add_argument("-v", "--verbose", action="store_true")
    args = ap.parse_args(argv)
    info = generate(args.out, orders=args.orders, seed=args.seed, end=date.fromisoformat(args.end),
                    years=args.years, encoding=args.encoding, items=not args.no_items,
                    members=not args.no_members, verbose=args.verbose)
    for p in info["paths"]:
        print(f"{p}  {os.path.getsize(p) / 1e6:.1f} MB")
    print(f"orders={info['orders']} buyers={info['buyers']} members={info['members']} "
          f"item_lines={info['item_lines']} purchases={info['purchases']} "
          f"purchase_buyers={info['purchase_buyers']} gmv={info['gmv']:.2f}")
    print(f"generated in {info['seconds']:.1f} s")


if __name__ == "__main__":
    main()
