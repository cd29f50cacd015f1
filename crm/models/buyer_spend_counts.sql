-- Every buyer counted by their spend in all (customer_stats).
-- depends: customer_stats(spend)
-- unique: spend
-- not null: spend, buyers
-- check: buyers >= 1
CREATE TABLE buyer_spend_counts (spend DECIMAL(18,2) NOT NULL, buyers BIGINT);
SELECT spend, count(*) FROM customer_stats GROUP BY spend ORDER BY spend;
