"""App registrations, token lifetimes and signing keys in the admin center."""
