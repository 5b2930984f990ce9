"""User flows and custom user attributes in the admin center."""
