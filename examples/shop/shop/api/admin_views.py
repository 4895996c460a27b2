"""Admin views (Django REST Framework)."""

from django.shortcuts import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from shop.models import Invoice
from shop.services.payments import PaymentService


class RefundView(APIView):
    def post(self, request, order_id):
        service = PaymentService(api_key=request.user.api_key)
        try:
            return Response(service.refund(order_id, request.data["amount"]))
        except KeyError as e:
            return Response({"error": str(e)}, status=400)


class InvoiceView(APIView):
    def get(self, request, pk):
        try:
            invoice = get_object_or_404(Invoice, pk=pk)
        except Exception:
            return Response({"detail": "Not found"}, status=404)
        return Response({"id": invoice.pk, "total": str(invoice.total)})
