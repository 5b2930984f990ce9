"""A tenant's configuration as code: export it as YAML, apply YAML to a tenant."""
