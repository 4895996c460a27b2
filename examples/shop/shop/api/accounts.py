"""Account endpoints (Django Ninja)."""

import json

from ninja import Router

from shop.models import Account

router = Router()


@router.get("/{account_id}")
def get_account(request, account_id: int):
    return {"id": account_id}


# totals for the dashboard
@router.get("/summary")
def summary(request):
    return {"accounts": Account.objects.count()}


@router.get("/")
def list_accounts(request, limit: int = 50):
    return Account.objects.filter(active=True)


@router.post("/login")
def login(request):
    credentials = json.loads(request.body)
    return {"user": credentials["username"]}
