"""Models (Django ORM)."""

from django.db import models


class Account(models.Model):
    name = models.CharField(max_length=100)
    active = models.BooleanField(default=True)


class Customer(models.Model):
    email = models.EmailField()


class Order(models.Model):
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE)
    status = models.CharField(max_length=20)
    total = models.DecimalField(max_digits=10, decimal_places=2)


class Invoice(models.Model):
    account = models.ForeignKey(Account, on_delete=models.CASCADE)
    state = models.CharField(max_length=20)
    total = models.DecimalField(max_digits=10, decimal_places=2)
