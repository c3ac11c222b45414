"""depot: multi-tenant document service."""
