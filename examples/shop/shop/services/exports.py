"""CSV exports for the back office."""

import csv
import io

from shop.models import Invoice, Order


def export_orders(status):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["id", "total"])
    for order in Order.objects.filter(status=status).iterator():
        writer.writerow([order.pk, order.total])
    return buffer.getvalue()


def export_invoices(state):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["number", "amount"])
    for invoice in Invoice.objects.filter(state=state).iterator():
        writer.writerow([invoice.pk, invoice.total])
    return buffer.getvalue()
