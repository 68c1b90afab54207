//! Keystead for Node.js (being built).
