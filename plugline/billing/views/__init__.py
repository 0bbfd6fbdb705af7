"""Pages of the billing app: renewing online and checkout (renew), invoices, the renew link."""
