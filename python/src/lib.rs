//! Keystead for Python (being built).
