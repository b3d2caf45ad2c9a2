"""Small shared widgets: sign-in panel, password field with a strength meter, form helpers."""
