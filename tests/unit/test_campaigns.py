"""Campaigns: the stratified holdout, exact counts over the attribution window, the intervals'
coverage on simulated campaigns with a known truth, the verdict, opt-outs, the frequency cap,
campaigns registered from other tools, contact plans, and the command line of the README."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal

import numpy as np
import pytest

from crm import campaigns as C
from crm import i18n
from crm.cohorts import CohortSpec, KeyedError, member_list
from crm.importing import import_file
from tests.unit.test_cli import crm

AS_OF = dt.date(2025, 6, 30)
START = dt.date(2025, 7, 1)
DORMANT = CohortSpec(days_min=100)


def history(n: int) -> str:
    """c001…cNNN bought once on 2025-01-0x (¥100): all dormant as of 2025-06-30."""
    rows = "".join(f"H{i},c{i:03d},2025-01-{i % 9 + 1:02d} 10:00:00,2025-01-{i % 9 + 1:02d} 10:00:00,交易成功,100.00,0\n"
                   for i in range(1, n + 1))
    return "order_id,customer_id,ordered_at,paid_at,status,amount,refund\n" + rows


def window_orders(rows: list[tuple]) -> str:
    """(order id, customer, time, paid time or '', status, amount, refund)."""
    return "order_id,customer_id,ordered_at,paid_at,status,amount,refund\n" + "".join(
        ",".join(str(x) for x in r) + "\n" for r in rows)


@pytest.fixture
def shop(db, make_file):
    assert import_file(db, make_file("history.csv", history(200))).ok
    return db


def groups(db, name):
    return {g: set(C.member_keys(db, name, g)) for g in C.GROUPS}


# -- the split ---------------------------------------------------------------------------------------
def test_split_is_stratified_and_reproducible():
    rng = np.random.default_rng(0)
    cust = np.arange(10_000)
    strata = rng.integers(0, 12, size=10_000)
    a = C.split(cust, strata, 0.1, seed=42)
    assert np.array_equal(a, C.split(cust, strata, 0.1, seed=42))        # the seed reproduces it
    assert not np.array_equal(a, C.split(cust, strata, 0.1, seed=43))
    for s in range(12):                                                   # every stratum in proportion
        n = (strata == s).sum()
        assert abs(a[strata == s].sum() - n * 0.1) < 1
    assert C.split(cust, strata, 0.0, seed=1).sum() == 0


def test_small_strata_are_split_in_proportion_on_average():
    """Strata of 3 members with a 10 % holdout: no stratum is always skipped (random rounding)."""
    cust = np.arange(3000)
    strata = np.repeat(np.arange(1000), 3)
    held = [C.split(cust, strata, 0.1, seed=s).sum() for s in range(20)]
    assert held == [300] * 20                       # exactly ⌊N × share + ½⌋
    per_stratum = np.bincount(strata, weights=C.split(cust, strata, 0.1, seed=1), minlength=1000)
    assert set(per_stratum) <= {0.0, 1.0}


def test_create_records_both_groups_and_the_seed(shop):
    out = C.create(shop, "spring", DORMANT, AS_OF, holdout=0.2, seed=7, offer="满99减10")
    assert (out["members"], out["treatment"] + out["holdout"]) == (200, 200)
    assert out["holdout"] == 40 and out["opted_out"] == 0
    assert out["start"] == "2025-07-01" and out["window_days"] == 14 and out["offer"] == "满99减10"
    g = groups(shop, "spring")
    assert not g["treatment"] & g["holdout"] and len(g["treatment"] | g["holdout"]) == 200
    again = C.create(shop, "spring again", DORMANT, AS_OF, holdout=0.2, seed=7)
    assert groups(shop, "spring again") == g                     # same seed, same cohort: same split
    with pytest.raises(KeyedError) as e:
        C.create(shop, "spring", DORMANT, AS_OF)
    assert e.value.key == "campaign_error_exists"
    assert again["seed"] == 7


def test_plan_shows_sizes_the_detectable_lift_and_suggests_a_larger_holdout(shop):
    p = C.plan(shop, DORMANT, AS_OF, holdout=0.1)
    assert (p["members"], p["treatment"], p["holdout"]) == (200, 180, 20)
    # the same cohort 14 days earlier: the same 200, none of whom bought in the 14 days since
    assert (p["base_rate"], p["base_rate_members"], p["base_rate_assumed"]) == (0.0, 200, False)
    assert p["mde"] > 0.1                         # 20 held out can only see a large lift
    assert p["suggestion"]["holdout"] > 0.1 and p["suggestion"]["mde"] < p["mde"]
    assert C.min_detectable_lift(0.05, 45_000, 5_000) < C.min_detectable_lift(0.05, 4_500, 500)


# -- the effect ---------------------------------------------------------------------------------------
def test_counts_over_the_window_are_exact(shop, make_file):
    C.create(shop, "w", DORMANT, AS_OF, holdout=0.5, seed=3, window=14, offer="满99减10", margin=0.5,
             message_cost=0.1)
    g = groups(shop, "w")
    t = sorted(g["treatment"])
    h = sorted(g["holdout"])
    rows = [
        ("W1", t[0], "2025-07-01 00:00:00", "2025-07-01 00:00:00", "交易成功", "120.00", "0"),   # start midnight: in
        ("W2", t[1], "2025-07-14 23:59:00", "2025-07-14 23:59:00", "交易成功", "50.00", "0"),    # last minute: in
        ("W3", t[2], "2025-07-15 00:00:00", "2025-07-15 00:00:00", "交易成功", "80.00", "0"),    # window end: out
        ("W4", t[3], "2025-06-30 23:59:00", "2025-06-30 23:59:00", "交易成功", "80.00", "0"),    # before start: out
        ("W5", t[4], "2025-07-03 10:00:00", "", "买家未付款", "90.00", "0"),                    # unpaid: out
        ("W6", t[5], "2025-07-03 10:00:00", "2025-07-03 10:00:00", "交易关闭", "90.00", "90.00"),  # refunded: out
        ("W7", t[6], "2025-07-04 10:00:00", "2025-07-04 10:00:00", "交易成功", "200.00", "30.00"),  # partly: 170
        ("W8", t[0], "2025-07-05 10:00:00", "2025-07-05 10:00:00", "交易成功", "10.00", "0"),     # 2nd order, 1 buyer
        ("W9", h[0], "2025-07-02 10:00:00", "2025-07-02 10:00:00", "交易成功", "60.00", "0"),
        ("W10", "stranger", "2025-07-02 10:00:00", "2025-07-02 10:00:00", "交易成功", "999.00", "0"),  # in no group
    ]
    assert import_file(shop, make_file("july.csv", window_orders(rows))).ok
    r = C.report(shop, "w", lang="en")
    nt, nh = len(t), len(h)
    assert r["treatment"] == {"members": nt, "buyers": 3, "purchase_rate": 3 / nt, "gmv": 350.0,
                              "gmv_per_member": round(350 / nt, 4)}
    assert r["holdout"] == {"members": nh, "buyers": 1, "purchase_rate": 1 / nh, "gmv": 60.0,
                            "gmv_per_member": round(60 / nh, 4)}
    lift = r["lift"]
    assert lift["purchase_rate_diff"] == pytest.approx(3 / nt - 1 / nh)
    assert lift["incremental_buyers"] == pytest.approx((3 / nt - 1 / nh) * nt)
    assert lift["incremental_gmv"] == pytest.approx((350 / nt - 60 / nh) * nt, abs=0.01)
    # coupons: treatment buyers with an order reaching ¥99 (W1 120, W7 200): 2 × ¥10
    assert r["costs"]["redemptions"] == 2 and r["costs"]["coupon_cost"] == 20.0
    assert r["costs"]["message_cost"] == pytest.approx(0.1 * nt)
    profit = lift["incremental_gmv"] * 0.5 - 20.0 - 0.1 * nt
    assert r["costs"]["incremental_gross_profit"] == pytest.approx(profit)
    assert r["costs"]["roi"] == pytest.approx(profit / (20.0 + 0.1 * nt))
    assert r["status"] == "measured" and r["verdict"] == "unclear"
    assert "Too small to tell yet" in r["verdict_text"] and "no effect\u201d" in r["verdict_text"]
    daily = C.daily(shop, "w")
    last = daily[daily["day"] == daily["day"].max()].set_index("grp")
    assert (int(last.loc["treatment", "buyers"]), int(last.loc["holdout", "buyers"])) == (3, 1)
    assert len(daily) == 28


def test_status_follows_the_data(shop, make_file):
    C.create(shop, "s", DORMANT, AS_OF, window=14)
    assert C.report(shop, "s")["status"] == "planned"
    assert import_file(shop, make_file("a.csv", window_orders([("X1", "c001", "2025-07-05 10:00:00", "2025-07-05 10:00:00",
                                                                 "交易成功", "1", "0")]))).ok
    assert C.report(shop, "s")["status"] == "in_window"
    assert import_file(shop, make_file("b.csv", window_orders([("X2", "c002", "2025-07-14 10:00:00", "2025-07-14 10:00:00",
                                                                 "交易成功", "1", "0")]))).ok
    assert C.report(shop, "s")["status"] == "measured"


def test_verdict_words(shop, make_file):
    """All of the contacted buy, none of the held out: a lift, said with its interval per 100."""
    C.create(shop, "big", DORMANT, AS_OF, holdout=0.5, seed=1)
    g = groups(shop, "big")
    rows = [(f"B{i}", k, "2025-07-02 10:00:00", "2025-07-02 10:00:00", "交易成功", "20.00", "0")
            for i, k in enumerate(sorted(g["treatment"]))]
    assert import_file(shop, make_file("b.csv", window_orders(rows))).ok
    r = C.report(shop, "big", lang="en")
    assert r["verdict"] == "lift" and r["lift"]["purchase_rate_diff"] == 1.0
    lo, hi = r["lift"]["purchase_rate_diff_ci"]
    assert 0.9 < lo < 1 and hi == pytest.approx(1.0)
    assert r["verdict_text"].startswith("It worked: about 100.0 extra buyers per 100 contacted")
    zh = C.report(shop, "big", lang="zh")["verdict_text"]
    assert zh.startswith("有效：每触达 100 人，大约多 100.0 人购买")


@pytest.mark.parametrize("n_t, n_h, p_t, p_h", [(180, 20, 0.10, 0.10), (900, 100, 0.12, 0.08),
                                                (4500, 500, 0.05, 0.05), (45_000, 5_000, 0.05, 0.04)])
def test_rate_intervals_cover_the_true_lift_about_95_percent(n_t, n_h, p_t, p_h):
    rng = np.random.default_rng(n_t)
    sims = 2000
    bt, bh = rng.binomial(n_t, p_t, sims), rng.binomial(n_h, p_h, sims)
    cover = 0
    for a, b in zip(bt, bh):
        lo, hi = C._newcombe(int(a), n_t, int(b), n_h)
        cover += lo <= p_t - p_h <= hi
    assert 0.925 <= cover / sims <= 0.985


@pytest.mark.parametrize("n_t, n_h", [(2000, 2000), (9000, 1000)])
def test_gmv_intervals_cover_the_true_lift_about_95_percent(n_t, n_h):
    """GMV per member: a purchase with probability p, lognormal spend; the true means are known."""
    rng = np.random.default_rng(n_h)
    p_t, p_h, mu, sigma = 0.3, 0.25, 4.0, 0.8
    true = (p_t - p_h) * np.exp(mu + sigma ** 2 / 2)
    sims, cover = 1000, 0
    for _ in range(sims):
        xt = rng.binomial(1, p_t, n_t) * rng.lognormal(mu, sigma, n_t)
        xh = rng.binomial(1, p_h, n_h) * rng.lognormal(mu, sigma, n_h)
        lo, hi = C._welch(xt.mean(), xt.var(ddof=1), n_t, xh.mean(), xh.var(ddof=1), n_h)
        cover += lo <= true <= hi
    assert 0.925 <= cover / sims <= 0.975


@pytest.mark.parametrize("n", [200, 50_000])
def test_simulated_campaigns_have_exact_counts(db, make_file, n):
    """The buyers and GMV each group reports are exactly the orders written for its members."""
    head = "order_id,customer_id,ordered_at,paid_at,status,amount,refund\n"
    assert import_file(db, make_file("h.csv", head + "".join(
        f"H{i},m{i},2025-01-02 10:00:00,2025-01-02 10:00:00,交易成功,50.00,0\n" for i in range(n)))).ok
    C.create(db, "sim", DORMANT, AS_OF, holdout=0.1, seed=n)
    g = groups(db, "sim")
    rng = np.random.default_rng(n)
    rows, truth = [], {}
    for grp, p in (("treatment", 0.08), ("holdout", 0.05)):
        picked = [k for k in sorted(g[grp]) if rng.random() < p]
        truth[grp] = (len(picked), sum(10 + i % 7 for i in range(len(picked))))
        rows += [(f"{grp}{i}", k, "2025-07-05 10:00:00", "2025-07-05 10:00:00", "交易成功", f"{10 + i % 7}.00", "0")
                 for i, k in enumerate(picked)]
    assert import_file(db, make_file("w.csv", window_orders(rows))).ok
    r = C.report(db, "sim")
    for grp in C.GROUPS:
        assert (r[grp]["members"], r[grp]["buyers"], r[grp]["gmv"]) == (len(g[grp]), truth[grp][0],
                                                                       float(truth[grp][1]))
    assert r["holdout"]["members"] == C.holdout_size(n, 0.1)
    if n == 50_000:                    # 8 % against 5 % on 45,000 / 5,000 members: seen
        assert r["verdict"] == "lift"
    else:
        assert r["verdict"] == "unclear"


def test_simulated_campaigns_with_and_without_a_real_lift(db, make_file):
    """2,000 members, a real rise from 10 % to 20 %: a lift; the same rates: not a lift."""
    assert import_file(db, make_file("h.csv", history(2000))).ok
    rng = np.random.default_rng(5)
    rows = []
    for name, p_t, p_h in (("real", 0.20, 0.10), ("none", 0.10, 0.10)):
        C.create(db, name, DORMANT, AS_OF, holdout=0.5, seed=11, start=START if name == "real" else dt.date(2025, 8, 1))
        g = groups(db, name)
        day = "2025-07-03" if name == "real" else "2025-08-03"
        for grp, p in (("treatment", p_t), ("holdout", p_h)):
            for k in sorted(g[grp]):
                if rng.random() < p:
                    rows.append((f"{name}-{k}", k, f"{day} 10:00:00", f"{day} 10:00:00", "交易成功", "30.00", "0"))
    rows.append(("late", "c001", "2025-08-20 10:00:00", "2025-08-20 10:00:00", "交易成功", "1", "0"))
    assert import_file(db, make_file("sim.csv", window_orders(rows))).ok
    real, none = C.report(db, "real"), C.report(db, "none")
    assert real["verdict"] == "lift" and real["lift"]["purchase_rate_diff_ci"][0] > 0
    assert none["verdict"] == "unclear"
    for r in (real, none):     # counts are exact: buyers = the orders written for the group
        for grp in C.GROUPS:
            assert r[grp]["gmv"] == pytest.approx(30.0 * r[grp]["buyers"])


def test_sample_ratio_mismatch_is_flagged(shop):
    C.create(shop, "srm", DORMANT, AS_OF, holdout=0.5, seed=2)
    assert not C.report(shop, "srm")["srm_warning"]
    with shop.write() as cur:       # someone removed most of the holdout afterwards
        cur.execute("DELETE FROM campaign_members WHERE grp = 'holdout' AND customer_id > 'c030'")
    r = C.report(shop, "srm")
    assert r["srm_warning"] and r["srm_p"] < C.SRM_P


def test_contact_tag_takes_only_the_contacted(shop):
    from crm import tags
    C.create(shop, "t", DORMANT, AS_OF, holdout=0.3, seed=8)
    g = groups(shop, "t")
    C.optout_add(shop, [sorted(g["treatment"])[0]])
    assert tags.add_to_tag(shop, "contacted", C.contacted_sql(shop, "t"), create=True) == len(g["treatment"]) - 1
    tagged = {r[0] for r in shop.query("SELECT c.customer_id FROM customer_tags ct JOIN customers c USING (cust_no)")}
    assert tagged <= g["treatment"] and not tagged & g["holdout"]


def test_past_campaigns_of_similar_cohorts_fill_the_sliders(shop, make_file):
    assert C.measured_rates(shop) is None
    C.create(shop, "past", DORMANT, AS_OF, holdout=0.5, seed=6, offer="满99减10")
    g = groups(shop, "past")
    rows = [(f"P{i}", k, "2025-07-02 10:00:00", "2025-07-02 10:00:00", "交易成功", "120.00", "0")
            for i, k in enumerate(sorted(g["treatment"])[:10])]
    rows.append(("P-end", "c001", "2025-07-20 10:00:00", "2025-07-20 10:00:00", "交易成功", "1.00", "0"))
    assert import_file(shop, make_file("p.csv", window_orders(rows))).ok
    m = C.measured_rates(shop, stage="silent")       # everyone was silent as of 2025-06-30
    assert m["similar"] and m["campaigns"] == ["past"]
    assert m["redemption"] == pytest.approx(10 / len(g["treatment"]))
    assert m["baseline"] == pytest.approx((1 if "c001" in g["holdout"] else 0) / len(g["holdout"]))
    assert C.measured_rates(shop, stage="active")["similar"] is False     # no similar one: all of them


# -- opt-outs and the frequency cap ------------------------------------------------------------------
def test_opted_out_members_are_in_no_group_and_no_list(shop, tmp_path):
    f = tmp_path / "optout.txt"
    f.write_text("c001\n c002 \n ghost \n", encoding="utf-8")
    assert C.optout_add(shop, C.read_keys(f)) == {"added": 3, "already": 0, "unknown": 1}
    out = C.create(shop, "o", DORMANT, AS_OF, holdout=0.5, seed=1)
    assert out["opted_out"] == 2 and out["members"] == 198
    g = groups(shop, "o")
    assert not {"c001", "c002"} & (g["treatment"] | g["holdout"])
    names = set(member_list(shop, DORMANT, AS_OF, lang="en", columns=["name"]).iloc[:, 0])
    assert len(names) == 198 and not {"c001", "c002"} & names
    assert C.left_out(shop, DORMANT, AS_OF) == {"opted_out": 2, "contacted": 0}
    # opting out after the campaign was made: never on its contact list from then on
    C.optout_add(shop, ["c010"])
    in_treatment = "c010" in g["treatment"]
    assert "c010" not in C.member_keys(shop, "o", "treatment")
    assert ("c010" in C.member_keys(shop, "o", "holdout")) == (not in_treatment)
    assert C.optout_remove(shop, ["c001"]) == 1 and not C.is_opted_out(shop, "c001")


def test_recently_contacted_are_left_out(shop):
    C.create(shop, "first", DORMANT, AS_OF, holdout=0.25, seed=4, start=dt.date(2025, 6, 20))
    g = groups(shop, "first")
    spec = DORMANT.with_(not_contacted_days=30)
    names = set(member_list(shop, spec, AS_OF, lang="en", columns=["name"]).iloc[:, 0])
    assert names == g["holdout"]                         # the contacted are left out, the holdout is not
    assert C.left_out(shop, spec, AS_OF) == {"opted_out": 0, "contacted": len(g["treatment"])}
    # the campaign started 10 days before the as-of date: a 9-day cap no longer leaves them out
    assert len(member_list(shop, DORMANT.with_(not_contacted_days=9), AS_OF, lang="en", columns=["name"])) == 200
    assert len(member_list(shop, DORMANT.with_(not_contacted_days=10), AS_OF, lang="en", columns=["name"])) == len(
        g["holdout"])


# -- campaigns run elsewhere -------------------------------------------------------------------------
def test_import_lists_from_another_tool(shop, tmp_path, make_file):
    C.optout_add(shop, ["c005"])
    t_file, h_file = tmp_path / "t.txt", tmp_path / "h.txt"
    t_file.write_text("\ufeffc001\nc002\nc003\nc005\nnew_buyer\n", encoding="utf-8")
    h_file.write_text("c004\nc003\nc006\n", encoding="utf-8")
    out = C.import_lists(shop, "ext", C.read_keys(t_file), C.read_keys(h_file), START)
    assert (out["treatment"], out["holdout"], out["opted_out"], out["unknown"], out["on_both_lists"]) == (4, 2, 1, 1, 1)
    rows = [("E1", "new_buyer", "2025-07-02 10:00:00", "2025-07-02 10:00:00", "交易成功", "10.00", "0"),
            ("E2", "c004", "2025-07-02 10:00:00", "2025-07-02 10:00:00", "交易成功", "5.00", "0")]
    assert import_file(shop, make_file("e.csv", window_orders(rows))).ok
    r = C.report(shop, "ext")
    # new_buyer had no orders when the list was registered: counted once the orders arrive
    assert (r["treatment"]["buyers"], r["holdout"]["buyers"]) == (0, 1)
    assert r["treatment"]["members"] == 4 and r["srm_p"] is None


# -- contact plans and birthdays ----------------------------------------------------------------------
def test_run_due_creates_the_due_campaigns_and_writes_their_lists(shop, tmp_path):
    from crm import plans as P
    from crm.cohorts import save_cohort
    save_cohort(shop, "dormant", DORMANT)
    P.save_plan(shop, "weekly dormant", cohort_name="dormant", cadence="weekly", holdout=0.2, cap_days=30,
                first=dt.date(2025, 7, 1))
    assert P.run_due(shop, dt.date(2025, 6, 30), tmp_path) == []
    done = P.run_due(shop, dt.date(2025, 7, 1), tmp_path)
    assert [d["name"] for d in done] == ["weekly dormant 2025-07-01"]
    text = (tmp_path / "weekly dormant 2025-07-01.csv").read_bytes().decode("utf-8-sig").splitlines()
    assert len(text) - 1 == done[0]["treatment"]
    assert P.list_plans(shop)[0]["next_due"] == dt.date(2025, 7, 8)
    assert P.run_due(shop, dt.date(2025, 7, 2), tmp_path) == []
    # a week later: the members contacted a week ago are left out by the 30-day cap
    second = P.run_due(shop, dt.date(2025, 7, 8), tmp_path)[0]
    assert second["members"] == done[0]["holdout"]


def test_birthday_condition(db, make_file):
    assert import_file(db, make_file("o.csv", history(5))).ok
    members = ("customer_id,生日,level\nc001,1990-07-02,VIP会员\nc002,1985-06-30,VIP会员\nc003,1988-07-20,VIP会员\n"
               "c004,1992-02-29,VIP会员\n")
    assert import_file(db, make_file("m.csv", members)).ok
    names = lambda spec, day: set(member_list(db, spec, day, lang="en", columns=["name"]).iloc[:, 0])  # noqa: E731
    assert names(CohortSpec(birthday_within_days=7), AS_OF) == {"c001", "c002"}      # today and in 2 days
    assert names(CohortSpec(birthday_within_days=3), dt.date(2025, 2, 26)) == {"c004"}   # 29 Feb → 28 Feb
    assert names(CohortSpec(birthday_within_days=3), dt.date(2025, 12, 30)) == set()


# -- the command line ---------------------------------------------------------------------------------
def test_cli_campaign_flow(tmp_path, make_file):
    db = tmp_path / "x.duckdb"
    hist = make_file("hist.csv", history(200))
    assert crm("--db", str(db), "import", str(hist), cwd=tmp_path)[0] == 0
    optout = tmp_path / "optout.txt"
    optout.write_text("c001\n", encoding="utf-8")
    code, out, err = crm("--db", str(db), "optout", "add", str(optout), cwd=tmp_path)
    assert code == 0, err
    code, out, err = crm("--db", str(db), "optout", "list", "--json", cwd=tmp_path)
    assert json.loads(out)["count"] == 1
    code, out, err = crm("--db", str(db), "campaign", "create", "july", "--days-since-last-min", "100", "--as-of", "2025-06-30",
                         "--holdout", "0.2", "--seed", "9", "--start", "2025-07-01", "--offer", "满99减10",
                         "--export", str(tmp_path / "july.txt"), "--json", cwd=tmp_path)
    assert code == 0, err
    made = json.loads(out)
    assert {"name", "members", "treatment", "holdout", "opted_out"} <= set(made)
    assert (made["members"], made["opted_out"]) == (199, 1)
    exported = (tmp_path / "july.txt").read_text(encoding="utf-8-sig").split()
    assert len(exported) == made["treatment"] and "c001" not in exported
    code, out, err = crm("--db", str(db), "campaign", "members", "july", "--group", "holdout", "--export",
                         str(tmp_path / "july-holdout.csv"), cwd=tmp_path)
    assert code == 0 and (tmp_path / "HOLDOUT-do-not-contact_july-holdout.csv").exists()
    held = (tmp_path / "HOLDOUT-do-not-contact_july-holdout.csv").read_text(encoding="utf-8-sig").splitlines()
    assert len(held) - 1 == made["holdout"] and not set(exported) & {line.split(",")[0] for line in held}
    later = make_file("later.csv", window_orders([("L1", exported[0], "2025-07-03 10:00:00", "2025-07-03 10:00:00",
                                                    "交易成功", "120.00", "0"),
                                                   ("L2", "c100", "2025-07-20 10:00:00", "2025-07-20 10:00:00",
                                                    "交易成功", "1.00", "0")]))
    assert crm("--db", str(db), "import", str(later), cwd=tmp_path)[0] == 0
    code, out, err = crm("--db", str(db), "campaign", "report", "july", "--json", "--xlsx",
                         str(tmp_path / "july.xlsx"), cwd=tmp_path)
    assert code == 0, err
    r = json.loads(out)
    assert {"name", "start", "window_days", "treatment", "holdout", "lift", "verdict"} <= set(r)
    assert set(r["treatment"]) >= {"members", "buyers", "purchase_rate", "gmv", "gmv_per_member"}
    assert set(r["lift"]) >= {"purchase_rate_diff", "purchase_rate_diff_ci", "gmv_per_member_diff",
                              "gmv_per_member_diff_ci", "incremental_buyers", "incremental_gmv"}
    assert (r["start"], r["window_days"], r["treatment"]["buyers"], r["treatment"]["gmv"]) == ("2025-07-01", 14, 1, 120.0)
    assert r["verdict"] in ("lift", "harm", "unclear") and r["status"] == "measured"
    from python_calamine import CalamineWorkbook
    wb = CalamineWorkbook.from_path(str(tmp_path / "july.xlsx"))
    assert len(wb.sheet_names) == 4
    code, out, err = crm("--db", str(db), "campaign", "list", "--json", cwd=tmp_path)
    assert [c["name"] for c in json.loads(out)] == ["july"]
    # the frequency cap on the cohort command: the contacted group is left out
    code, out, err = crm("--db", str(db), "cohort", "--days-since-last-min", "100", "--as-of", "2025-07-01",
                         "--exclude-contacted-days", "7", "--json", cwd=tmp_path)
    assert json.loads(out)["members"] == made["holdout"]
    # a campaign run elsewhere
    (tmp_path / "t.txt").write_text("c010\nc011\n", encoding="utf-8")
    (tmp_path / "h.txt").write_text("c012\n", encoding="utf-8")
    code, out, err = crm("--db", str(db), "campaign", "import", "elsewhere", "--treatment", str(tmp_path / "t.txt"),
                         "--holdout", str(tmp_path / "h.txt"), "--start", "2025-07-01", "--json", cwd=tmp_path)
    assert code == 0, err
    assert (json.loads(out)["treatment"], json.loads(out)["holdout"]) == (2, 1)
    # mistakes: one line, exit 2
    code, out, err = crm("--db", str(db), "campaign", "report", "nope", cwd=tmp_path)
    assert code == 2 and "no campaign named" in err and "Traceback" not in err
    code, out, err = crm("--db", str(db), "campaign", "create", "x", "--offer", "10减99", cwd=tmp_path)
    assert code == 2 and "offer" in err


def test_every_campaign_text_has_both_languages():
    from crm.locales import campaigns as L
    assert set(L.ZH) == set(L.EN)
    assert i18n.t("campaign_group_holdout", "zh") == "对照组（不触达）"
