//! Versioned priority classifier over flow keys (in progress).
