from shop.services.payments import PaymentService

ORDER_ID = None


def test_create_order():
    global ORDER_ID
    ORDER_ID = 42
    assert PaymentService(api_key="test").receipt_url(ORDER_ID)


def test_receipt_for_created_order():
    assert PaymentService(api_key="test").receipt_url(ORDER_ID).endswith("/42")
