"""The one Kubernetes client edge: server-side apply, reads, deletes and status patches."""
