"""Documents: preview, print and save PDFs (`show_pdf`) and the resident's document list."""
from __future__ import annotations

from ui.documents.viewer import PdfDialog, render_to_printer, show_pdf

__all__ = ["PdfDialog", "render_to_printer", "show_pdf"]
