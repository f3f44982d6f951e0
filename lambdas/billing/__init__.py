"""Billing: invoice a customer for a period, wait for the payment provider to authorise, capture.

Handlers are in :mod:`billing.handler`; each is a thin wrapper over a plain logic module that takes
its AWS clients (or tables) as arguments:

- :mod:`billing.request`: validate the execution input (``BillingRequestInvalid``);
- :mod:`billing.invoice`: amounts in integer minor units, the deterministic invoice id;
- :mod:`billing.invoices`: the invoice record (one per customer and period);
- :mod:`billing.authorisations`: authorisation requests, their task tokens, and handing a
  provider's decision to the waiting execution exactly once;
- :mod:`billing.signature` and :mod:`billing.webhook`: the signed provider webhook;
- :mod:`billing.payments`: capture (idempotent) and void;
- :mod:`billing.providers`: the ``PaymentProvider`` interface, the HTTP and sandbox providers.
"""
