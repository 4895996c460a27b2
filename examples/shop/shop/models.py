"""Models (Django ORM)."""

from django.db import models


class Account(models.Model):
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)


class Invoice(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    total = models.DecimalField(max_digits=10, decimal_places=2)
