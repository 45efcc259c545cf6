"""kopf handlers, thin: read, call pure code, write, report status. One module per kind."""
