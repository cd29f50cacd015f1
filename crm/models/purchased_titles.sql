-- Every (item title, buyer) of a purchase: the order's own item title, and the titles of its lines
-- in an item export. Not stored: written into the models that read it.
-- materialized: ephemeral
-- depends: orders, order_items
SELECT item_title AS title, cust_no FROM orders
WHERE is_purchase AND cust_no IS NOT NULL AND item_title IS NOT NULL
UNION ALL
SELECT i.title, o.cust_no FROM order_items i JOIN orders o ON o.order_id = i.order_id
WHERE o.is_purchase AND o.cust_no IS NOT NULL AND i.title IS NOT NULL;
