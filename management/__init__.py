"""The management API: everything the admin center manages, over REST, per tenant."""
