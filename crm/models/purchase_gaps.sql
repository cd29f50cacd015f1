-- Gaps in days, counted: step 0 = between a customer's consecutive purchase *days* (the usage
-- cycle; first_gaps = those from the first purchase day, one per customer with two purchase days),
-- step k = between the (k-1)-th and the k-th purchase (k = 2 … {gap_steps}).
-- depends: purchase_facts
-- unique: step, gap
-- not null: step, gap, n, first_gaps
-- check: step = 0 OR step BETWEEN 2 AND {gap_steps}
-- check: gap >= 0 AND n >= 1 AND first_gaps <= n AND (step = 0 OR first_gaps = 0)
CREATE TABLE purchase_gaps (step INTEGER NOT NULL, gap BIGINT NOT NULL, n BIGINT, first_gaps BIGINT);
SELECT 0, ordered_at::DATE - prev_at::DATE, count(*), count(*) FILTER (WHERE prev_at::DATE = first_at::DATE)
FROM purchase_facts WHERE prev_at::DATE < ordered_at::DATE GROUP BY 1, 2
UNION ALL
SELECT seq, ordered_at::DATE - prev_at::DATE, count(*), 0
FROM purchase_facts WHERE seq BETWEEN 2 AND {gap_steps} GROUP BY 1, 2
ORDER BY 1, 2;
