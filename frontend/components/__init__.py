"""Component factories (``create_*``), figure builders and page helpers shared by the pages."""
