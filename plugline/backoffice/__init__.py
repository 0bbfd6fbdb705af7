"""The staff console: find a customer, see their whole story, act on it with a reason."""
