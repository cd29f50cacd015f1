-- Who bought each item title: distinct (title, buyer) pairs.
-- depends: purchased_titles, item_titles(title_no, title)
-- unique: title_no, cust_no
-- not null: title_no, cust_no
CREATE TABLE item_buyers (title_no INTEGER NOT NULL, cust_no INTEGER NOT NULL);
SELECT DISTINCT t.title_no, p.cust_no FROM purchased_titles p JOIN item_titles t ON t.title = p.title
ORDER BY 1, 2;
