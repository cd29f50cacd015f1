-- Every purchase, sorted by order time, with where it stands in its customer's history: seq = the
-- customer's n-th purchase (by ordered_at), prev_at / next_at = the customer's previous / next
-- purchase, first_at = the customer's first purchase. Purchases of one customer at the same time
-- are numbered in any order: nothing read from this table depends on which of them comes first.
-- Customer columns are NULL for orders without a buyer key.
-- depends: orders
-- not null: ordered_at, spend
-- check: (cust_no IS NULL) = (seq IS NULL) AND seq >= 1
-- check: cust_no IS NULL OR ((seq = 1) = (prev_at IS NULL))
-- check: prev_at <= ordered_at AND ordered_at <= next_at AND first_at <= ordered_at
CREATE TABLE purchase_facts (
    cust_no INTEGER, ordered_at TIMESTAMP NOT NULL, spend DECIMAL(18,2) NOT NULL,
    seq INTEGER, prev_at TIMESTAMP, next_at TIMESTAMP, first_at TIMESTAMP
);
SELECT cust_no, ordered_at, spend,
       CASE WHEN cust_no IS NOT NULL THEN row_number() OVER w END::INTEGER,
       CASE WHEN cust_no IS NOT NULL THEN lag(ordered_at) OVER w END,
       CASE WHEN cust_no IS NOT NULL THEN lead(ordered_at) OVER w END,
       CASE WHEN cust_no IS NOT NULL THEN first_value(ordered_at) OVER w END
FROM orders WHERE is_purchase
WINDOW w AS (PARTITION BY cust_no ORDER BY ordered_at)
ORDER BY ordered_at;
