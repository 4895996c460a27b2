"""Order reports and async notifications (Django ORM + asyncio)."""

import asyncio
import logging
import time

from django.db import connection

from shop.models import Customer, Order

logger = logging.getLogger(__name__)


def customer_report(status):
    rows = []
    for order in Order.objects.filter(status=status):
        customer = Customer.objects.get(pk=order.customer_id)
        rows.append((customer.email, order.total, order.lines.count()))
    logger.info(f"report for {status}: {len(rows)} rows")
    return rows


def reprice(orders, rate):
    for order in orders:
        order.total = order.total * rate
        order.save()
    # for order in orders:
    #     order.refresh_from_db()


def search(email):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT id FROM shop_order WHERE email = '{email}'")
        return cursor.fetchall()


def page(user, cursor=None):
    qs = Order.objects.filter(customer__user=user).order_by("-id")
    if cursor:
        qs = qs.filter(id__lt=cursor)
    total = qs.count()
    return {"total": total, "items": list(qs[:20])}


class Notifier:
    async def send(self, order):
        await asyncio.sleep(0)
        return order

    async def notify_all(self, orders):
        for order in orders:
            self.send(order)
            time.sleep(0.1)
