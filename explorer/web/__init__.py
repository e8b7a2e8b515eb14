"""`explorer serve`: the local web app over one built corpus (see docs/web.md)."""
