-- Per-buyer totals over every purchase: first and last purchase, purchases, spend, each purchase's
-- order value (spends, in no particular order), the province of the latest purchase that has one,
-- and the member export's level and province. Analyses whose as-of date is on or after the latest
-- order read it instead of aggregating every order again; cohorts and coupon sizing read only this.
-- depends: orders, members(level_code, province)
-- unique: cust_no
-- not null: cust_no, first_purchase_at, last_purchase_at, purchases, spend, spends
-- accepted: member_level in (0, 1, 2, 3, 4)
-- check: purchases >= 1 AND len(spends) = purchases
-- check: first_purchase_at <= last_purchase_at
CREATE TABLE customer_stats (
    cust_no INTEGER PRIMARY KEY, first_purchase_at TIMESTAMP, last_purchase_at TIMESTAMP,
    purchases INTEGER, spend DECIMAL(18,2), spends DECIMAL(18,2)[], order_province VARCHAR,
    member_level INTEGER, member_province VARCHAR
);
SELECT s.*, m.level_code, m.province FROM (
    SELECT cust_no, min(ordered_at), max(ordered_at), count(*)::INTEGER, sum(spend)::DECIMAL(18,2),
           list(spend)::DECIMAL(18,2)[], arg_max(province, ordered_at) FILTER (WHERE province IS NOT NULL)
    FROM orders WHERE is_purchase AND cust_no IS NOT NULL GROUP BY cust_no) s
LEFT JOIN members m ON m.cust_no = s.cust_no
ORDER BY s.cust_no;
-- when only members changed: member_level, member_province
UPDATE customer_stats SET member_level = m.level_code, member_province = m.province FROM members m
WHERE m.cust_no = customer_stats.cust_no
  AND (customer_stats.member_level IS DISTINCT FROM m.level_code
       OR customer_stats.member_province IS DISTINCT FROM m.province);
