"""The factorscope dashboard: Dash pages over the backend's HTTP API (no torch, no models, no backend).

``create_app(settings)`` builds the app; ``python -m frontend`` serves it on FACTORSCOPE_UI_PORT.
"""
