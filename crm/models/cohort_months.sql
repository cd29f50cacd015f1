-- Customers by the day of their first purchase and a month they bought in (that month and the
-- {cohort_months} calendar months after it): monthly retention cohorts.
-- depends: purchase_facts
-- unique: first_day, month
-- not null: first_day, month, buyers
-- check: month >= date_trunc('month', first_day) AND buyers >= 1
-- check: month <= date_trunc('month', first_day) + INTERVAL {cohort_months} MONTH
CREATE TABLE cohort_months (first_day DATE NOT NULL, month DATE NOT NULL, buyers BIGINT);
SELECT first_at::DATE, date_trunc('month', ordered_at)::DATE, count(*)
FROM purchase_facts
WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('month', ordered_at))
  AND ordered_at < date_trunc('month', first_at) + INTERVAL ({cohort_months} + 1) MONTH
GROUP BY 1, 2 ORDER BY 1, 2;
