"""One module per page, each calling ``dash.register_page``; Dash discovers them (never listed by hand)."""
