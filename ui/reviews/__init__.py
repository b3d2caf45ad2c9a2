"""The reviews area of the UI: the "Reviews due" page, the resident's "Reviews" tab, the review
dialog and the Today sections. Importing `ui.reviews.page` registers them all."""
