-- Buyers of each month by their purchases and spend in all (customer_stats): the level mix by month.
-- depends: purchase_facts, customer_stats(cust_no, purchases, spend)
-- unique: month, purchases, spend
-- not null: month, purchases, spend, buyers
-- check: buyers >= 1 AND purchases >= 1
CREATE TABLE buyer_months (month DATE NOT NULL, purchases INTEGER, spend DECIMAL(18,2), buyers BIGINT);
SELECT date_trunc('month', p.ordered_at)::DATE, s.purchases, s.spend, count(*)
FROM purchase_facts p JOIN customer_stats s ON s.cust_no = p.cust_no
WHERE p.prev_at IS NULL OR p.prev_at < date_trunc('month', p.ordered_at)
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3;
