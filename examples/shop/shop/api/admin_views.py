"""Admin views (Django REST Framework)."""

from rest_framework.response import Response
from rest_framework.views import APIView

from shop.services.payments import PaymentService


class RefundView(APIView):
    def post(self, request, order_id):
        service = PaymentService(api_key=request.user.api_key)
        try:
            return Response(service.refund(order_id, request.data["amount"]))
        except KeyError as e:
            return Response({"error": str(e)}, status=400)
