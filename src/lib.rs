//! Overture.
