from decimal import Decimal
from unittest import mock

from shop.services.payments import PaymentService


def test_receipt_url():
    service = PaymentService(api_key="test")
    assert service.receipt_url(7).endswith("/receipts/7")


def test_charge_posts_to_provider():
    service = PaymentService(api_key="test")
    with mock.patch("shop.services.payments.http.post"):
        service.charge(1, Decimal("9.99"))
