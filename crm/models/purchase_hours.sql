-- Purchases per day and hour of the day: counts, GMV (all / with a buyer key), purchases not at
-- midnight, and buyers counted once per day / ISO week / month / ever (the purchase that is the
-- customer's first in that day / week / month — their previous purchase is before it, or there is
-- none — or their first purchase ever).
-- depends: purchase_facts
-- unique: day, hour
-- not null: day, hour, purchases, gmv
-- check: hour BETWEEN 0 AND 23
-- check: buyer_purchases <= purchases AND off_midnight <= purchases
-- check: new_buyers <= day_buyers AND day_buyers <= buyer_purchases AND month_buyers <= buyer_purchases
CREATE TABLE purchase_hours (
    day DATE NOT NULL, hour INTEGER NOT NULL, purchases BIGINT, gmv DECIMAL(38,2),
    buyer_purchases BIGINT, buyer_gmv DECIMAL(38,2), off_midnight BIGINT,
    day_buyers BIGINT, week_buyers BIGINT, month_buyers BIGINT, new_buyers BIGINT
);
SELECT ordered_at::DATE, hour(ordered_at), count(*), sum(spend), count(cust_no),
       coalesce(sum(spend) FILTER (WHERE cust_no IS NOT NULL), 0),
       count(*) FILTER (WHERE ordered_at <> date_trunc('day', ordered_at)),
       count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('day', ordered_at))),
       count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('week', ordered_at))),
       count(*) FILTER (WHERE cust_no IS NOT NULL AND (prev_at IS NULL OR prev_at < date_trunc('month', ordered_at))),
       count(*) FILTER (WHERE seq = 1)
FROM purchase_facts GROUP BY 1, 2 ORDER BY 1, 2;
