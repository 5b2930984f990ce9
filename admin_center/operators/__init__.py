"""Operators' own pages: signing in and out of the admin center, changing their password."""
