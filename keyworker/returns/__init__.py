"""Returns to the commissioner (issue 15): the NDTMS monthly return and its data-quality report
(keyworker/returns/ndtms.py, `book.returns`) and the pseudonymised extract
(keyworker/returns/pseudonymised.py, `book.extracts`)."""
