-- Every purchase counted by its order value (all purchases / those with a buyer key).
-- depends: purchase_facts
-- unique: spend
-- not null: spend, purchases, buyer_purchases
-- check: purchases >= 1 AND buyer_purchases <= purchases
CREATE TABLE order_value_counts (spend DECIMAL(18,2) NOT NULL, purchases BIGINT, buyer_purchases BIGINT);
SELECT spend, count(*), count(cust_no) FROM purchase_facts GROUP BY spend ORDER BY spend;
