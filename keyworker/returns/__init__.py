"""Returns to the commissioner (issue 15): the NDTMS monthly return and the pseudonymised extract."""
